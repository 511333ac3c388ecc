import type { StackState } from './state';

/** Kafka API keys usable with `pushKafkaRequestErrors`. */
export const KafkaApiKey = {
  Produce: 0,
  Fetch: 1,
  OffsetCommit: 8,
  JoinGroup: 11,
  Heartbeat: 12,
  SyncGroup: 14,
} as const;

/** Talks to a running stack daemon: fault injection and topic provisioning for tests in any process. */
export class StackControl {
  constructor(readonly controlUrl: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): StackControl {
    if (!env.PITCHPULSE_STACK_CONTROL) {
      throw new Error('PITCHPULSE_STACK_CONTROL is not set: fault injection needs the embedded stack');
    }
    return new StackControl(env.PITCHPULSE_STACK_CONTROL);
  }

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.controlUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`stack control ${method} ${route}: ${json.error ?? res.status}`);
    return json;
  }

  status(): Promise<StackState & { clickhouseRunning: boolean }> {
    return this.call('GET', '/status');
  }

  createTopic(name: string, partitions = 1): Promise<void> {
    return this.call('POST', '/kafka/topics', { name, partitions });
  }

  /**
   * A private set of the pipeline's three topics for one test or run: `events`, `<events>.retry` and
   * `<events>.dlq` (one partition each unless said otherwise). Returns the names, as the apps' topic settings take them.
   */
  async createPipelineTopics(
    events: string,
    partitions: { events?: number; retry?: number } = {},
  ): Promise<{ events: string; retry: string; dlq: string }> {
    const topics = { events, retry: `${events}.retry`, dlq: `${events}.dlq` };
    await this.createTopic(topics.events, partitions.events ?? 6);
    await this.createTopic(topics.retry, partitions.retry ?? 1);
    await this.createTopic(topics.dlq, 1);
    return topics;
  }

  brokerDown(brokerId = 1): Promise<void> {
    return this.call('POST', `/kafka/brokers/${brokerId}/down`);
  }

  brokerUp(brokerId = 1): Promise<void> {
    return this.call('POST', `/kafka/brokers/${brokerId}/up`);
  }

  /** Delays every response of the broker by rttMs (0 restores it). */
  brokerRtt(brokerId: number, rttMs: number): Promise<void> {
    return this.call('POST', `/kafka/brokers/${brokerId}/rtt`, { rttMs });
  }

  pushKafkaRequestErrors(apiKey: number, errors: number[]): Promise<void> {
    return this.call('POST', '/kafka/request-errors', { apiKey, errors });
  }

  clearKafkaRequestErrors(apiKey: number): Promise<void> {
    return this.call('DELETE', `/kafka/request-errors/${apiKey}`);
  }

  /** Stops ClickHouse: with a cluster, every node (ZooKeeper keeps running). */
  stopClickHouse(): Promise<void> {
    return this.call('POST', '/clickhouse/stop');
  }

  startClickHouse(): Promise<void> {
    return this.call('POST', '/clickhouse/start');
  }

  /**
   * Stops one node of the stack's ClickHouse cluster (`s1r2`: shard 1, replica 2); SIGKILL for a crash, whose
   * ZooKeeper session lingers for its timeout (10 s). Fails on a stack without a cluster.
   */
  stopClickHouseNode(name: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    return this.call('POST', `/clickhouse/nodes/${encodeURIComponent(name)}/stop`, { signal });
  }

  /** Starts a stopped cluster node again (same ports and data); its replicated tables catch up on their own. */
  startClickHouseNode(name: string): Promise<void> {
    return this.call('POST', `/clickhouse/nodes/${encodeURIComponent(name)}/start`);
  }
}
