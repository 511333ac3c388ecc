import { StackControl } from './control';

/** A private pipeline on the running stack: its topics, database and the apps' environment for them. */
export interface PreparedPipeline {
  topics: { events: string; retry: string; dlq: string };
  database: string;
  /**
   * KAFKA_BROKERS, CLICKHOUSE_URL, CLICKHOUSE_DATABASE (and CLICKHOUSE_CLUSTER on a cluster), KAFKA_TOPIC_*, both
   * consumer groups, LOG_LEVEL=warn
   */
  env: NodeJS.ProcessEnv;
}

/**
 * Creates the three topics of a pipeline named `name` (see StackControl.createPipelineTopics) on the stack whose
 * connection is in `process.env` (jest's global setup puts it there) and names the database and consumer groups
 * after it, so tests running at once never share them.
 */
export async function preparePipeline(
  name: string,
  partitions: { events?: number; retry?: number } = {},
): Promise<PreparedPipeline> {
  const topics = await StackControl.fromEnv().createPipelineTopics(name, partitions);
  const database = name.replace(/[^A-Za-z0-9_]/g, '_');
  return {
    topics,
    database,
    env: {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: database,
      ...(process.env.CLICKHOUSE_CLUSTER ? { CLICKHOUSE_CLUSTER: process.env.CLICKHOUSE_CLUSTER } : {}),
      KAFKA_TOPIC_EVENTS: topics.events,
      KAFKA_TOPIC_RETRY: topics.retry,
      KAFKA_TOPIC_DLQ: topics.dlq,
      CONSUMER_GROUP: name,
      RETRY_CONSUMER_GROUP: `${name}-retry`,
      LOG_LEVEL: 'warn',
    },
  };
}
