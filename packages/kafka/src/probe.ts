import type { Admin, Kafka } from 'kafkajs';

export interface KafkaProbeOptions {
  /** A check that takes longer fails (default 1000 ms). */
  timeoutMs?: number;
}

/**
 * An active Kafka reachability check for readiness probes: one Metadata request (describeCluster) through a
 * lazily connected admin client. Concurrent checks share one request; a check never waits past its timeout.
 */
export class KafkaProbe {
  private admin: Admin | undefined;
  private connecting: Promise<void> | undefined;
  private running: Promise<number> | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly kafka: Kafka,
    options: KafkaProbeOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  /** Resolves with the number of brokers the cluster reports; rejects when Kafka cannot be reached in time. */
  check(): Promise<number> {
    if (!this.running) {
      this.running = this.describe().finally(() => (this.running = undefined));
    }
    return withTimeout(this.running, this.timeoutMs, `Kafka did not answer within ${this.timeoutMs} ms`);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    if (admin) await admin.disconnect();
  }

  private async describe(): Promise<number> {
    if (!this.admin) {
      this.admin = this.kafka.admin({ retry: { retries: 0 } });
      const admin = this.admin;
      this.connecting = admin.connect().catch((err: unknown) => {
        if (this.admin === admin) {
          this.admin = undefined;
          this.connecting = undefined;
        }
        throw err;
      });
    }
    await this.connecting;
    const cluster = await this.admin!.describeCluster();
    return cluster.brokers.length;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
