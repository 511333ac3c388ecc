/**
 * Test helper: the two engines every SQL statement must run on — the ClickHouse 18.16 server of the embedded
 * stack (`CLICKHOUSE_URL`) and current ClickHouse in-process (chdb) — each with a fresh database.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { detectCapabilities, type ClickHouseCapabilities } from '../capabilities';
import { createChdbClient } from '../chdb';
import { clusterOf, createClickHouseClient } from '../client';
import { localTable } from '../cluster';
import { clickHouseErrorCode } from '../errors';
import { execute, selectRows } from '../query';
import { ClickHouseStore } from '../store';
import { identifier, sql, type Sql, type SqlIdentifier } from '../sql';

export interface Engine {
  name: 'clickhouse-18' | 'chdb';
  client: ClickHouseClient;
  caps: ClickHouseCapabilities;
  store: ClickHouseStore;
}

export function uniqueDatabase(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export function clickhouseUrl(): string {
  const url = process.env.CLICKHOUSE_URL;
  if (!url)
    throw new Error('CLICKHOUSE_URL is not set: run tests through jest (global setup starts the stack)');
  return url;
}

/** The test stack's cluster (`pnpm test:cluster`), or none. */
export function clickhouseCluster(): string | undefined {
  return process.env.CLICKHOUSE_CLUSTER || undefined;
}

/** A client of the test stack's ClickHouse (its cluster in `pnpm test:cluster`) for `database`. */
export function testClickHouseClient(database: string): ClickHouseClient {
  const cluster = clickhouseCluster();
  return createClickHouseClient({ url: clickhouseUrl(), database, ...(cluster ? { cluster } : {}) });
}

/** libchdb binds one data folder per process, so every test file of a jest worker shares this one. */
export function chdbPath(): string {
  const base = process.env.PITCHPULSE_TEST_STACK_DIR ?? os.tmpdir();
  const dir = path.join(base, `chdb-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Both engines, clients bound to `database`; with `statements`, the database is created and they are run. */
export async function openEngines(database: string, statements: Sql[] = []): Promise<Engine[]> {
  const server = testClickHouseClient(database);
  const chdb = createChdbClient(chdbPath(), { database });
  const engine = async (name: Engine['name'], client: ClickHouseClient): Promise<Engine> => {
    const caps = await detectCapabilities(client);
    return { name, client, caps, store: new ClickHouseStore(client, caps) };
  };
  const engines: Engine[] = [await engine('clickhouse-18', server), await engine('chdb', chdb)];
  if (statements.length > 0) {
    for (const e of engines) {
      await execute(e.client, e.caps, sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
      for (const statement of statements) await execute(e.client, e.caps, statement);
    }
  }
  return engines;
}

export async function closeEngines(engines: Engine[], dropDatabase = true): Promise<void> {
  for (const e of engines) {
    if (dropDatabase) {
      const drop = sql`DROP DATABASE IF EXISTS ${identifier(e.caps.database)}`;
      await execute(e.client, e.caps, drop).catch(() => undefined);
    }
    await e.client.close();
  }
}

/**
 * OPTIMIZE … FINAL of `table`, insisting: 18.16 skips it without a word while a background merge holds some of the
 * parts (likely right after the inserts, more so on a busy machine). With optimize_throw_if_noop it says so (code
 * 388, CANNOT_ASSIGN_OPTIMIZE): ask again until that merge is done, for a minute at most. On the test cluster: the
 * per-shard table on each shard's leader replica that has parts (18.16 fails `OPTIMIZE` of an empty replicated
 * table, also through `ON CLUSTER`, with "Unknown log entry type: 0"), then every replica waits until it has the
 * merged parts.
 */
export async function optimizeFinal(e: Engine, table: string): Promise<void> {
  const nodes = clusterNodes();
  if (!clusterOf(e.client) || nodes.length === 0) {
    return optimizeOn(e.client, e.caps, identifier(e.caps.database, table), e.name);
  }
  const local = localTable(table);
  const clients = nodes.map((url) => createClickHouseClient({ url, database: e.caps.database }));
  try {
    for (const client of clients) {
      const [replica] = await selectRows<{ is_leader: number; parts: number }>(
        client,
        e.caps,
        sql`SELECT is_leader, (SELECT count() FROM system.parts
              WHERE database = ${e.caps.database} AND table = ${local} AND active) AS parts
            FROM system.replicas WHERE database = ${e.caps.database} AND table = ${local}`,
      );
      // An empty shard has nothing to merge (and 18.16 answers OPTIMIZE there with "Unknown log entry type: 0").
      if (Number(replica?.is_leader) === 1 && Number(replica?.parts) > 0)
        await optimizeOn(client, e.caps, identifier(e.caps.database, local), e.name);
    }
    for (const client of clients)
      await execute(client, e.caps, sql`SYSTEM SYNC REPLICA ${identifier(e.caps.database, local)}`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** The URLs of the test cluster's nodes (`pnpm test:cluster`: s1r1, s1r2, s2r1, s2r2), or none. */
export const clusterNodes = (): string[] =>
  (process.env.PITCHPULSE_TEST_CLUSTER_NODES ?? '').split(',').filter(Boolean);

async function optimizeOn(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  name: SqlIdentifier,
  engine: string,
) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await execute(client, caps, sql`OPTIMIZE TABLE ${name} FINAL`, { optimize_throw_if_noop: 1 });
      return;
    } catch (err) {
      if (clickHouseErrorCode(err) !== 388) throw err;
      if (Date.now() > deadline) {
        throw new Error(`${engine}: OPTIMIZE FINAL still refused after 60 s: ${(err as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
