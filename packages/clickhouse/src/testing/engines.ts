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
import { createClickHouseClient } from '../client';
import { execute } from '../query';
import { ClickHouseStore } from '../store';
import { identifier, sql, type Sql } from '../sql';

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

/** libchdb binds one data folder per process, so every test file of a jest worker shares this one. */
export function chdbPath(): string {
  const base = process.env.PITCHPULSE_TEST_STACK_DIR ?? os.tmpdir();
  const dir = path.join(base, `chdb-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Both engines, clients bound to `database`; with `statements`, the database is created and they are run. */
export async function openEngines(database: string, statements: Sql[] = []): Promise<Engine[]> {
  const server = createClickHouseClient({ url: clickhouseUrl(), database });
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
