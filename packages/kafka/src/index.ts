export {
  FAILURE_HEADERS,
  nextFailure,
  readFailure,
  withFailure,
  type FailureInfo,
  type FailureKind,
} from './envelope';
