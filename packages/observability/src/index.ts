export { createLogger, type Logger } from './logger';
export { createRegistry, type Registry } from './metrics';
