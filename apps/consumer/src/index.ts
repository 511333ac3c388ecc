export { loadConfig, type ConsumerConfig } from './config';
