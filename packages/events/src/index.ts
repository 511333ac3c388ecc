export {
  validateBatch,
  validateEvent,
  validateStoredEvent,
  type BatchValidation,
  type ValidationResult,
} from './validate';
export {
  UndecodableMessageError,
  decodeEventMessage,
  encodeEventMessage,
  type EncodedMessage,
} from './kafka-message';
