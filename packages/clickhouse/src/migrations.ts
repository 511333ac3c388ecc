import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { detectCapabilities } from './capabilities';
import { clusterOf, databaseOf } from './client';
import { forCluster, shardedTables, type ClusterSchema } from './cluster';
import { clickHouseErrorCode } from './errors';
import { execute, selectRows } from './query';
import { Sql, assertIdentifier, identifier, sql, type RenderMode } from './sql';

/** `packages/clickhouse/migrations`: outside src so the same folder serves src (tests) and dist (runtime). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Replaced by the (checked) database name in every migration file. */
export const DATABASE_PLACEHOLDER = '{{database}}';

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file (line endings normalised): an applied file must never change. */
  checksum: string;
  statements: string[];
}

export interface MigrationResult {
  database: string;
  /** `NNN_name` of migrations this call applied. */
  applied: string[];
  /** Already applied before this call (by this or another process). */
  alreadyApplied: string[];
  /** Versions recorded in the database that this code has no file for (a newer release ran): left alone. */
  unknownVersions: number[];
}

export interface MigrationLogger {
  info(obj: object, msg: string): void;
}

export interface RunMigrationsOptions {
  /** Database to create and migrate. Default: the client's (`databaseOf(client)`). */
  database?: string;
  /** Folder of `NNN_name.sql` files. Default: the package's `migrations/`. */
  dir?: string;
  logger?: MigrationLogger;
  /** Build the cluster schema on this `<remote_servers>` cluster. Default: the client's (`clusterOf(client)`). */
  cluster?: string;
}

export class MigrationChecksumError extends Error {
  override readonly name = 'MigrationChecksumError';
}

/** Splits a file into statements on `;`, outside quotes and comments; drops comments and empty statements. */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated /* comment in migration');
      i = end + 2;
      current += ' ';
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== ch) j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new Error(`unterminated ${ch} quote in migration`);
      current += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

/** Reads and checks the migration files of a folder, ordered by version. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((file): Migration => {
    const m = FILE_NAME.exec(file);
    if (!m) throw new Error(`migration file ${file} must be named NNN_lowercase_name.sql`);
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    const statements = splitStatements(text);
    if (statements.length === 0) throw new Error(`migration ${file} has no statements`);
    return {
      version: Number(m[1]),
      name: m[2]!,
      file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements,
    };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`two migrations share version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function readApplied(client: ClickHouseClient, mode: RenderMode, database: string) {
  const rows = await selectRows<AppliedRow>(
    client,
    mode,
    sql`SELECT version, argMin(name, applied_at) AS name, argMin(checksum, applied_at) AS checksum
        FROM ${identifier(database, 'schema_migrations')}
        GROUP BY version`,
  );
  return new Map(rows.map((r) => [Number(r.version), { ...r, version: Number(r.version) }]));
}

function checkUnchanged(migration: Migration, applied: AppliedRow | undefined): boolean {
  if (!applied) return false;
  if (applied.checksum !== migration.checksum) {
    throw new MigrationChecksumError(
      `migration ${migration.file} was changed after it was applied (recorded checksum ${applied.checksum}, ` +
        `file ${migration.checksum}). Never edit an applied migration: restore it and add a new NNN_*.sql file.`,
    );
  }
  return true;
}

/** The file's text with every `{{database}}` replaced by the checked identifier; the text has no values. */
function withDatabase(statement: string, database: string): Sql {
  const pieces = statement.split(DATABASE_PLACEHOLDER);
  return new Sql(
    pieces,
    pieces.slice(1).map(() => identifier(database)),
  );
}

const CREATE_DATABASE = `CREATE DATABASE IF NOT EXISTS ${DATABASE_PLACEHOLDER}`;
/** Where the applied migrations are recorded (in cluster mode replicated to every node, so recorded once). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${DATABASE_PLACEHOLDER}.schema_migrations
  (version UInt32, name String, checksum String, applied_at DateTime('UTC'))
  ENGINE = ReplacingMergeTree ORDER BY version`;

/** TABLE_ALREADY_EXISTS / DATABASE_ALREADY_EXISTS: a concurrent runner created it between check and create. */
const ALREADY_EXISTS = new Set([57, 82]);
const UNKNOWN_TABLE = 60;

/**
 * The statement failed because its effect is already there: a concurrent runner (or an earlier run that stopped
 * before recording the migration) dropped the table between `IF EXISTS` and the drop, or added the columns (18.16
 * has no `ADD COLUMN IF NOT EXISTS`; one ALTER adds all its columns or none).
 */
function alreadyDone(text: string, err: unknown): boolean {
  const code = clickHouseErrorCode(err);
  if (/^DROP\s+TABLE\s+IF\s+EXISTS\s/i.test(text)) return code === UNKNOWN_TABLE;
  if (/^ALTER\s+TABLE\s[^;]*\sADD\s+COLUMN\s/i.test(text)) {
    return err instanceof Error && /already exists/i.test(err.message);
  }
  return false;
}

async function runStatement(
  client: ClickHouseClient,
  mode: RenderMode,
  statement: Sql,
  text = '',
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await execute(client, mode, statement);
      return;
    } catch (err) {
      // Every CREATE is IF NOT EXISTS: re-running it after a concurrent create is a no-op.
      if (attempt < 3 && ALREADY_EXISTS.has(clickHouseErrorCode(err) ?? -1)) continue;
      if (alreadyDone(text, err)) return;
      throw err;
    }
  }
}

/**
 * Creates the database if missing and applies every migration file not yet recorded in
 * `<database>.schema_migrations`, in version order. Safe to call from several processes at once: every
 * statement is idempotent (`IF NOT EXISTS`), the record is re-checked before it is written, and a version that
 * two racing runners both recorded is read once (GROUP BY version; ReplacingMergeTree folds the copies).
 * An applied file whose content changed is an error.
 */
export async function runMigrations(
  client: ClickHouseClient,
  options: RunMigrationsOptions = {},
): Promise<MigrationResult> {
  const database = assertIdentifier(options.database ?? databaseOf(client));
  const migrations = loadMigrations(options.dir);
  const caps = await detectCapabilities(client);
  const mode: RenderMode = caps;
  const cluster = options.cluster ?? clusterOf(client);
  const schema: ClusterSchema | undefined = cluster
    ? { cluster, sharded: shardedTables(migrations.flatMap((m) => m.statements)) }
    : undefined;
  /** A statement of a migration file as this server (or cluster) runs it. */
  const run = async (statement: string) => {
    const texts = schema ? forCluster(statement, schema, database) : [statement];
    for (const text of texts) await runStatement(client, mode, withDatabase(text, database), text);
  };
  await run(CREATE_DATABASE);
  await run(CREATE_MIGRATIONS_TABLE);

  const result: MigrationResult = { database, applied: [], alreadyApplied: [], unknownVersions: [] };
  let applied = await readApplied(client, mode, database);
  const known = new Set(migrations.map((m) => m.version));
  result.unknownVersions = [...applied.keys()].filter((v) => !known.has(v)).sort((a, b) => a - b);

  for (const migration of migrations) {
    const label = `${String(migration.version).padStart(3, '0')}_${migration.name}`;
    if (checkUnchanged(migration, applied.get(migration.version))) {
      result.alreadyApplied.push(label);
      continue;
    }
    for (const statement of migration.statements) await run(statement);
    // Re-check: another process may have applied and recorded it meanwhile.
    applied = await readApplied(client, mode, database);
    if (checkUnchanged(migration, applied.get(migration.version))) {
      result.alreadyApplied.push(label);
      continue;
    }
    await execute(
      client,
      mode,
      sql`INSERT INTO ${identifier(database, 'schema_migrations')} (version, name, checksum, applied_at)
          SELECT ${migration.version}, ${migration.name}, ${migration.checksum}, now()`,
    );
    result.applied.push(label);
    options.logger?.info({ database, migration: label }, 'applied ClickHouse migration');
  }
  return result;
}
