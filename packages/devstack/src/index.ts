export { ANALYST_DATABASES, ANALYST_PROFILE, ANALYST_USER, ClickHouseServer } from './clickhouse-server';
export { KafkaApiKey, StackControl } from './control';
export { freePort, isPortOpen, isProcessAlive, waitFor } from './ports';
export { MockKafkaCluster, type TopicSpec } from './rdkafka-mock';
export {
  analystCredentials,
  resolveConnection,
  startStack,
  stopStack,
  type AnalystCredentials,
  type Connection,
  type StartOptions,
} from './stack';
export { localDir, readState, repoRoot, type StackState } from './state';
export { preparePipeline, type PreparedPipeline } from './pipeline';
export { PIPELINE_TOPICS } from './topics';
export { SERVICE_NODE_FLAGS } from './node-flags';
