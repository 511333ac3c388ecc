export { createLogger, type Logger } from './logger';
export { createRegistry, sampleSum, type Registry } from './metrics';
export { readinessOf, startProbeServer, type CheckOutcome, type Probe } from './probe-server';
