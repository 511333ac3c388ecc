export { startConsumer, type RunningConsumer } from './start';
export { parseConfig, type ConsumerConfig } from './config';
