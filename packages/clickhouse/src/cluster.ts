import { assertIdentifier } from './sql';

/** As in the migration files: replaced by the checked database name when a statement runs. */
const DATABASE_PLACEHOLDER = '{{database}}';

/**
 * Cluster mode (`CLICKHOUSE_CLUSTER`): the single-node migrations, rewritten statement by statement for ClickHouse's
 * own cluster engines, so the schema stays one set of files.
 *
 * - A table with a `match_id` column is **sharded by match**: its rows live in `<name>_local`, a
 *   `Replicated*MergeTree` per shard (`{shard}`/`{replica}` macros), and `<name>` becomes a `Distributed` table over
 *   them with the sharding key `cityHash64(match_id)`. Every table shares that key, so all rows of one match, and
 *   every aggregate of it, sit on one shard, and the materialized views stay shard-local.
 * - Any other table (the migration record, highlight types, the season's days) is **replicated everywhere**: one
 *   replication group across every node of the cluster, read and written under its own name.
 * - Materialized views read and write the `_local` tables (they see the inserts their own node receives); plain
 *   views and everything the application reads or inserts go through the `Distributed` names, so queries stay as
 *   they are.
 * - DDL runs `ON CLUSTER`; `INSERT … SELECT` backfills run once, through the `Distributed` tables.
 */
export interface ClusterSchema {
  /** the `<remote_servers>` cluster name */
  cluster: string;
  /** tables sharded by match (by their single-node names) */
  sharded: ReadonlySet<string>;
}

/** The suffix of a sharded table's per-shard table. */
const LOCAL_SUFFIX = '_local';
/** A sharded table's per-shard table: `events` → `events_local`. */
export const localTable = (name: string): string => `${name}${LOCAL_SUFFIX}`;
/** The sharding key of every sharded table: a match's rows, and so its aggregates, stay on one shard. */
export const SHARDING_KEY = 'cityHash64(match_id)';

const TABLE_REF = /\{\{database\}\}\.([a-z_][a-z0-9_]*)/g;
const CREATE_TABLE = /^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+\{\{database\}\}\.([a-z_][a-z0-9_]*)\s*\(/i;

/** The tables the migrations create with a `match_id` column: the ones cluster mode shards by match. */
export function shardedTables(statements: readonly string[]): Set<string> {
  const sharded = new Set<string>();
  for (const statement of statements) {
    const created = CREATE_TABLE.exec(statement);
    if (created && /\(\s*[\s\S]*?\bmatch_id\s+String\b/.test(statement)) sharded.add(created[1]!);
  }
  return sharded;
}

/**
 * One single-node migration statement as the statements that do the same on the cluster (with `{{database}}` still
 * to be substituted by the runner; `database` is written into the replication paths, which are strings).
 */
export function forCluster(statement: string, schema: ClusterSchema, database: string): string[] {
  assertIdentifier(schema.cluster);
  assertIdentifier(database);
  const text = statement.trim();
  if (/^CREATE\s+DATABASE\s/i.test(text)) return [`${text} ON CLUSTER ${schema.cluster}`];
  if (/^CREATE\s+TABLE\s/i.test(text)) return createTable(text, schema, database);
  if (/^CREATE\s+MATERIALIZED\s+VIEW\s/i.test(text)) return [onCluster(localRefs(text, schema), schema)];
  if (/^CREATE\s+VIEW\s/i.test(text)) return [onCluster(text, schema)];
  if (/^(DROP|ALTER)\s+TABLE\s/i.test(text)) return bothLayers(text, schema);
  if (/^INSERT\s+INTO\s/i.test(text)) return [text];
  throw new Error(`cluster mode cannot translate this migration statement: ${text.slice(0, 80)}…`);
}

/** `… ON CLUSTER <name>` after the statement's first table name. */
function onCluster(text: string, schema: ClusterSchema): string {
  return text.replace(/\{\{database\}\}\.[a-z_][a-z0-9_]*/, (ref) => `${ref} ON CLUSTER ${schema.cluster}`);
}

/** Every sharded table the statement names, as its per-shard table. */
function localRefs(text: string, schema: ClusterSchema): string {
  return text.replace(TABLE_REF, (ref, name: string) =>
    schema.sharded.has(name) ? `${DATABASE_PLACEHOLDER}.${localTable(name)}` : ref,
  );
}

function createTable(text: string, schema: ClusterSchema, database: string): string[] {
  const created = CREATE_TABLE.exec(text);
  if (!created)
    throw new Error(
      `cluster mode expects CREATE TABLE IF NOT EXISTS {{database}}.name (…): ${text.slice(0, 80)}`,
    );
  const name = created[1]!;
  if (!schema.sharded.has(name)) {
    return [
      onCluster(replicated(text, `/clickhouse/tables/all/${database}/${name}`, '{shard}-{replica}'), schema),
    ];
  }
  const local = localTable(name);
  const perShard = replicated(
    text.replace(`${DATABASE_PLACEHOLDER}.${name}`, `${DATABASE_PLACEHOLDER}.${local}`),
    `/clickhouse/tables/{shard}/${database}/${name}`,
    '{replica}',
  );
  return [onCluster(perShard, schema), distributedTable(name, schema)];
}

/** `ENGINE = XMergeTree(args)` → `ENGINE = ReplicatedXMergeTree('path', 'replica', args)`. */
function replicated(text: string, path: string, replica: string): string {
  const engine = /\bENGINE\s*=\s*([A-Za-z]*MergeTree)\b/.exec(text);
  if (!engine) throw new Error(`cluster mode only replicates *MergeTree tables: ${text.slice(0, 80)}`);
  const after = engine.index + engine[0].length;
  const args = argumentsAt(text, after);
  const keys = `'${path}', '${replica}'`;
  const replacement = `ENGINE = Replicated${engine[1]}(${args.inner ? `${keys}, ${args.inner}` : keys})`;
  return text.slice(0, engine.index) + replacement + text.slice(args.end);
}

/** The parenthesised arguments right after `at` (balanced; none when no `(` follows). */
function argumentsAt(text: string, at: number): { inner: string; end: number } {
  const open = /^\s*\(/.exec(text.slice(at));
  if (!open) return { inner: '', end: at };
  const start = at + open[0].length;
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return { inner: text.slice(start, i).trim(), end: i + 1 };
  }
  throw new Error(`unbalanced engine arguments: ${text.slice(at, at + 80)}`);
}

/**
 * DROP of a sharded table drops its per-shard and its `Distributed` table. ALTER changes the per-shard table (once
 * per shard: replication carries it to the other replicas) and then re-creates the `Distributed` table over it, so
 * it has the new columns too (18.16 refuses `ALTER … ON CLUSTER` of a table that is not replicated on a cluster of
 * replicated shards). Anything else: `ON CLUSTER` as it is.
 */
function bothLayers(text: string, schema: ClusterSchema): string[] {
  const target = /^(DROP|ALTER)\s+TABLE\s+(?:IF\s+EXISTS\s+)?\{\{database\}\}\.([a-z_][a-z0-9_]*)/i.exec(
    text,
  );
  if (!target) throw new Error(`cluster mode expects {{database}}.name in: ${text.slice(0, 80)}`);
  const [, verb, name] = target as unknown as [string, string, string];
  if (!schema.sharded.has(name)) return [onCluster(text, schema)];
  const local = text.replace(
    `${DATABASE_PLACEHOLDER}.${name}`,
    `${DATABASE_PLACEHOLDER}.${localTable(name)}`,
  );
  const dropDistributed = `DROP TABLE IF EXISTS ${DATABASE_PLACEHOLDER}.${name} ON CLUSTER ${schema.cluster}`;
  if (verb.toUpperCase() === 'DROP') return [dropDistributed, onCluster(local, schema)];
  return [onCluster(local, schema), dropDistributed, distributedTable(name, schema)];
}

/** The `Distributed` table `name` over the per-shard tables `name_local`. */
function distributedTable(name: string, schema: ClusterSchema): string {
  const local = localTable(name);
  return (
    `CREATE TABLE IF NOT EXISTS ${DATABASE_PLACEHOLDER}.${name} ON CLUSTER ${schema.cluster} ` +
    `AS ${DATABASE_PLACEHOLDER}.${local} ` +
    `ENGINE = Distributed(${schema.cluster}, ${DATABASE_PLACEHOLDER}, ${local}, ${SHARDING_KEY})`
  );
}
