export {
  ANALYST_DATABASES,
  ANALYST_PROFILE,
  ANALYST_USER,
  ClickHouseServer,
  type ClickHouseServerOptions,
} from './clickhouse-server';
export {
  ClickHouseCluster,
  clusterConfig,
  DEFAULT_CLUSTER_NAME,
  DISTRIBUTED_DDL_PATH,
  type ClickHouseClusterOptions,
  type ClusterInfo,
  type ClusterNode,
  type NodePorts,
} from './clickhouse-cluster';
export { ZooKeeperServer, type ZooKeeperServerOptions } from './zookeeper';
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
