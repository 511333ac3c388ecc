export {
  BREAKER_STATES,
  BreakerOpenError,
  CircuitBreaker,
  type BreakerOptions,
  type BreakerSettings,
  type BreakerState,
} from './breaker';
