export {
  EVENT_TYPES,
  MATCH_ID_PATTERN,
  MAX_BATCH_EVENTS,
  MAX_METADATA_BYTES,
  eventBatchSchema,
  matchEventSchema,
  type EventType,
  type MatchEvent,
} from './schema';
export {
  validateBatch,
  validateEvent,
  validateStoredEvent,
  type BatchValidation,
  type FieldError,
  type ValidationResult,
} from './validate';
export {
  UndecodableMessageError,
  decodeEventMessage,
  encodeEventMessage,
  type EncodedMessage,
  type StoredEvent,
} from './kafka-message';
export { isRfc3339DateTime, parseTimestampMs } from './timestamp';
