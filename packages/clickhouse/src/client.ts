import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseSettings } from '@clickhouse/client';
import { assertIdentifier } from './sql';
import { sampled, type Span } from '@pitchpulse/tracing';

export interface ClickHouseClientOptions {
  /** HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  /**
   * Database that holds the PitchPulse schema (created by `runMigrations`). Default `default`. Every PitchPulse
   * statement names it explicitly (`db.events`), so the connection itself stays on `default`: requests never
   * fail because the schema database does not exist yet, and chdb (which has no per-request database) behaves
   * the same. `databaseOf(client)` returns it.
   */
  database?: string;
  username?: string;
  password?: string;
  /** Per-request timeout. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Sockets kept idle longer than this are not reused. Must stay below the server's keep_alive_timeout
   *  (3 s on ClickHouse 18.x, 10 s on current) or a reused socket dies with ECONNRESET. Default 2 500 ms. */
  idleSocketTtlMs?: number;
  /** Concurrent sockets to the server. Default 20. */
  maxOpenConnections?: number;
  /** @clickhouse/client's own logging (it logs every failed request at ERROR). Default OFF: callers report errors. */
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
  /**
   * Request bodies (inserts, statements) sent gzip-compressed (`Content-Encoding: gzip`). Default `none`. gzip
   * is the one codec both ends have: ClickHouse 18.16 decodes gzip and deflate bodies only, and ClickHouse's own
   * LZ4 block format (`?decompress=1`) has no maintained JavaScript encoder.
   */
  compression?: ClickHouseCompression;
  /**
   * The `<remote_servers>` cluster the schema is spread over (cluster mode, docs/clickhouse.md#cluster-mode);
   * unset: one server. The migrations then build the cluster schema, inserts wait until every shard has its rows,
   * and a subquery on a sharded table reads the shard's own rows (a match lives on one shard).
   */
  cluster?: string;
}

export const CLICKHOUSE_COMPRESSIONS = ['none', 'gzip'] as const;
export type ClickHouseCompression = (typeof CLICKHOUSE_COMPRESSIONS)[number];

/**
 * Settings sent with every request so both engines answer alike: 64-bit integers as JSON numbers (18.x quotes
 * them by default) and unknown JSONEachRow fields rejected (current versions skip them by default).
 */
export const CLIENT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  input_format_skip_unknown_fields: 0,
};

/** How far behind (whole seconds) a replica may be and still answer reads while another replica is closer. */
export const MAX_REPLICA_LAG_S = 5;

/**
 * Added in cluster mode. `insert_distributed_sync`: an insert into a Distributed table returns once each shard
 * stored its rows (not once they are queued on the receiving node), so the consumer commits only stored events.
 * `distributed_product_mode=local`: `IN (SELECT … FROM sharded)` reads the shard's own part, which is right
 * because every table is sharded by match (18.16 refuses such subqueries by default). `load_balancing=in_order`
 * without the local-replica shortcut: every process reads and writes each shard's first replica while it is up,
 * so a read normally sees the inserts acknowledged before it; the second replica takes over while the first is down and
 * catches it up through replication when it returns. `max_replica_delay_for_distributed_queries`: a replica
 * MAX_REPLICA_LAG_S or more behind — a first replica that has just returned, before it caught up — is read only
 * when every replica of its shard is that far behind (ClickHouse's default lets a replica 300 s behind answer).
 */
export const CLUSTER_SETTINGS: ClickHouseSettings = {
  max_replica_delay_for_distributed_queries: String(MAX_REPLICA_LAG_S),
  insert_distributed_sync: 1,
  distributed_product_mode: 'local',
  load_balancing: 'in_order',
  prefer_localhost_replica: 0,
};

export const DEFAULT_IDLE_SOCKET_TTL_MS = 2_500;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

interface ClientInfo {
  database: string;
  cluster?: string;
  /** the span this client's calls are traced under (a view made by clientUnder) */
  traceParent?: Span;
}

const clients = new WeakMap<ClickHouseClient, ClientInfo>();

/** Records which database a client's PitchPulse schema lives in (used by the chdb factory too). */
export function registerClient(client: ClickHouseClient, info: ClientInfo): ClickHouseClient {
  assertIdentifier(info.database);
  clients.set(client, info);
  return client;
}

/** The database a client was created for; `default` for clients made elsewhere. */
export function databaseOf(client: ClickHouseClient): string {
  return clients.get(client)?.database ?? 'default';
}

/** The cluster a client's schema is spread over, if it was created for one (cluster mode). */
export function clusterOf(client: ClickHouseClient): string | undefined {
  return clients.get(client)?.cluster;
}

/** The span `client`'s calls are children of (see clientUnder). */
export function traceParentOf(client: ClickHouseClient): Span | undefined {
  return clients.get(client)?.traceParent;
}

/**
 * `client` for calls traced as children of `parent` (a request's or a batch's span): the same client (its
 * connections, database and cluster) seen through a view that carries the parent; `client` itself without one, or
 * when its trace is not sampled. Closing a view closes the client.
 */
export function clientUnder(client: ClickHouseClient, parent: Span | undefined): ClickHouseClient {
  if (!sampled(parent)) return client;
  const view = new Proxy(client, {});
  clients.set(view, { ...(clients.get(client) ?? { database: 'default' }), traceParent: parent });
  return view;
}

/** A client for a ClickHouse server's HTTP interface (any version from 18.16 to current). */
export function createClickHouseClient(options: ClickHouseClientOptions): ClickHouseClient {
  const database = assertIdentifier(options.database ?? 'default');
  const cluster = options.cluster === undefined ? undefined : assertIdentifier(options.cluster);
  const idle = options.idleSocketTtlMs ?? DEFAULT_IDLE_SOCKET_TTL_MS;
  if (!Number.isFinite(idle) || idle <= 0) throw new RangeError('idleSocketTtlMs must be a positive number');
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new RangeError('requestTimeoutMs must be a positive number');
  const client = createClient({
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    request_timeout: timeout,
    max_open_connections: options.maxOpenConnections ?? 20,
    keep_alive: { enabled: true, idle_socket_ttl: idle },
    application: 'pitchpulse',
    clickhouse_settings: cluster ? { ...CLIENT_SETTINGS, ...CLUSTER_SETTINGS } : CLIENT_SETTINGS,
    log: { level: ClickHouseLogLevel[options.logLevel ?? 'OFF'] },
    compression: { request: options.compression === 'gzip' },
  });
  return registerClient(client, { database, ...(cluster ? { cluster } : {}) });
}
