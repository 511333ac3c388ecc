import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

// koffi ships ESM types with a CJS build; this repo is CJS, so load it with require and borrow the types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require('koffi') as typeof Koffi;

/** The few librdkafka functions the mock cluster needs, bound once per process. */
interface MockApi {
  confNew(): unknown;
  confSet(conf: unknown, name: string, value: string, errstr: Buffer, size: number): number;
  kafkaNew(type: number, conf: unknown, errstr: Buffer, size: number): unknown;
  kafkaDestroy(rk: unknown): void;
  clusterNew(rk: unknown, brokers: number): unknown;
  clusterDestroy(mc: unknown): void;
  bootstraps(mc: unknown): string;
  topicCreate(mc: unknown, topic: string, partitions: number, replication: number): number;
  brokerSetDown(mc: unknown, brokerId: number): number;
  brokerSetUp(mc: unknown, brokerId: number): number;
  brokerSetRtt(mc: unknown, brokerId: number, rttMs: number): number;
  pushRequestErrors(mc: unknown, apiKey: number, count: number, errors: Int32Array): void;
  clearRequestErrors(mc: unknown, apiKey: number): void;
  err2str(err: number): string;
  version(): string;
}

let api: MockApi | undefined;

function loadApi(): MockApi {
  if (api) return api;
  let lib: Koffi.LibraryHandle;
  try {
    lib = koffi.load('librdkafka.so.1');
  } catch (err) {
    throw new Error(
      `librdkafka is not installed (${(err as Error).message}). ` +
        'Run `npm run bootstrap` or `sudo apt-get install -y librdkafka1`.',
    );
  }
  api = {
    confNew: lib.func('void *rd_kafka_conf_new()'),
    confSet: lib.func(
      'int rd_kafka_conf_set(void *conf, const char *name, const char *value, _Out_ uint8_t *errstr, size_t size)',
    ),
    kafkaNew: lib.func('void *rd_kafka_new(int type, void *conf, _Out_ uint8_t *errstr, size_t size)'),
    kafkaDestroy: lib.func('void rd_kafka_destroy(void *rk)'),
    clusterNew: lib.func('void *rd_kafka_mock_cluster_new(void *rk, int broker_cnt)'),
    clusterDestroy: lib.func('void rd_kafka_mock_cluster_destroy(void *mc)'),
    bootstraps: lib.func('const char *rd_kafka_mock_cluster_bootstraps(void *mc)'),
    topicCreate: lib.func('int rd_kafka_mock_topic_create(void *mc, const char *topic, int parts, int rf)'),
    brokerSetDown: lib.func('int rd_kafka_mock_broker_set_down(void *mc, int32_t id)'),
    brokerSetUp: lib.func('int rd_kafka_mock_broker_set_up(void *mc, int32_t id)'),
    brokerSetRtt: lib.func('int rd_kafka_mock_broker_set_rtt(void *mc, int32_t id, int rtt_ms)'),
    pushRequestErrors: lib.func(
      'void rd_kafka_mock_push_request_errors_array(void *mc, int16_t apikey, size_t cnt, const int32_t *errors)',
    ),
    clearRequestErrors: lib.func('void rd_kafka_mock_clear_request_errors(void *mc, int16_t apikey)'),
    err2str: lib.func('const char *rd_kafka_err2str(int err)'),
    version: lib.func('const char *rd_kafka_version_str()'),
  };
  return api;
}

function check(what: string, err: number): void {
  if (err !== 0) throw new Error(`${what} failed: ${loadApi().err2str(err)} (${err})`);
}

export interface TopicSpec {
  name: string;
  partitions: number;
}

/**
 * librdkafka's in-process mock Kafka cluster: real brokers on loopback speaking the Kafka wire protocol,
 * with data in memory. Lives as long as this process holds it.
 */
export class MockKafkaCluster {
  private constructor(
    private readonly rk: unknown,
    private readonly mc: unknown,
    readonly brokerCount: number,
  ) {}

  static create(brokerCount = 1): MockKafkaCluster {
    const lib = loadApi();
    const errstr = Buffer.alloc(512);
    const conf = lib.confNew();
    lib.confSet(conf, 'log_level', '3', errstr, errstr.length);
    const rk = lib.kafkaNew(0, conf, errstr, errstr.length);
    if (!rk) throw new Error(`rd_kafka_new failed: ${errstr.toString('utf8').replace(/\0.*$/s, '')}`);
    const mc = lib.clusterNew(rk, brokerCount);
    if (!mc) {
      lib.kafkaDestroy(rk);
      throw new Error('rd_kafka_mock_cluster_new failed');
    }
    return new MockKafkaCluster(rk, mc, brokerCount);
  }

  static librdkafkaVersion(): string {
    return loadApi().version();
  }

  get bootstrapServers(): string {
    return loadApi().bootstraps(this.mc);
  }

  createTopic({ name, partitions }: TopicSpec): void {
    check(`create topic ${name}`, loadApi().topicCreate(this.mc, name, partitions, this.brokerCount));
  }

  setBrokerDown(brokerId: number): void {
    check(`broker ${brokerId} down`, loadApi().brokerSetDown(this.mc, brokerId));
  }

  setBrokerUp(brokerId: number): void {
    check(`broker ${brokerId} up`, loadApi().brokerSetUp(this.mc, brokerId));
  }

  /** Adds a round-trip delay to every response of one broker (a slow broker). */
  setBrokerRtt(brokerId: number, rttMs: number): void {
    check(`broker ${brokerId} rtt`, loadApi().brokerSetRtt(this.mc, brokerId, rttMs));
  }

  /** The next `errors.length` requests of Kafka API `apiKey` (0 = Produce, 1 = Fetch, …) fail with these codes. */
  pushRequestErrors(apiKey: number, errors: number[]): void {
    loadApi().pushRequestErrors(this.mc, apiKey, errors.length, Int32Array.from(errors));
  }

  clearRequestErrors(apiKey: number): void {
    loadApi().clearRequestErrors(this.mc, apiKey);
  }

  destroy(): void {
    const lib = loadApi();
    lib.clusterDestroy(this.mc);
    lib.kafkaDestroy(this.rk);
  }
}
