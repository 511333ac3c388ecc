export {
  validateBatch,
  validateEvent,
  validateRetraction,
  validateRetractionBatch,
  validateStoredEvent,
  validateStoredRetraction,
  type BatchValidation,
  type ValidationResult,
} from './validate';
export {
  UndecodableMessageError,
  decodeEventMessage,
  decodeRecordMessage,
  encodeEventMessage,
  encodeRetractionMessage,
  type EncodedMessage,
  type StoredRecord,
} from './kafka-message';
