export { createLogger, type Logger } from './logger';
export { createRegistry, sampleSum, type Registry } from './metrics';
