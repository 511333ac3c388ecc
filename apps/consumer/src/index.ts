export { startConsumerApp, type ConsumerApp } from './app';
export { loadConfig, type ConsumerConfig } from './config';
