import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ServerProcess } from './child';
import { freePort } from './ports';

const BINARY_CANDIDATES = [
  '/usr/sbin/clickhouse-server',
  '/usr/bin/clickhouse-server',
  '/usr/bin/clickhouse',
];

export interface ClickHouseServerOptions {
  /** Folder for data, config and logs; kept between runs. */
  dataDir: string;
  httpPort?: number;
  tcpPort?: number;
  /** Port for replicas fetching parts from this server (Replicated*MergeTree); unset: none. */
  interserverHttpPort?: number;
  /** More server configuration, XML elements put inside `<yandex>` (a cluster node's ZooKeeper, macros …). */
  configExtra?: string;
  /** File holding the analyst's password; defaults to `analyst.password` in dataDir (a cluster shares one). */
  analystPasswordFile?: string;
}

function findBinary(): { file: string; args: string[] } {
  for (const file of BINARY_CANDIDATES) {
    if (!fs.existsSync(file)) continue;
    // The all-in-one `clickhouse` binary needs `server` as its first argument.
    return { file, args: path.basename(file) === 'clickhouse' ? ['server'] : [] };
  }
  throw new Error(
    'clickhouse-server is not installed. Run `npm run bootstrap` or `sudo apt-get install -y clickhouse-server`.',
  );
}

export const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface ServerPorts {
  httpPort: number;
  tcpPort: number;
  interserverHttpPort?: number;
}

function serverConfig(dir: string, ports: ServerPorts, extra = ''): string {
  const d = xmlEscape(dir);
  const { httpPort, tcpPort, interserverHttpPort } = ports;
  const interserver =
    interserverHttpPort === undefined
      ? ''
      : `\n  <interserver_http_port>${interserverHttpPort}</interserver_http_port>` +
        `\n  <interserver_http_host>127.0.0.1</interserver_http_host>`;
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${d}/log/server.log</log>
    <errorlog>${d}/log/server.err.log</errorlog>
    <size>20M</size>
    <count>2</count>
  </logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>${interserver}
  <listen_host>127.0.0.1</listen_host>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>536870912</mark_cache_size>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
${extra}</yandex>
`;
}

/** The read-only account for analysts (`clickhouse-client --user analyst`). */
export const ANALYST_USER = 'analyst';

/** The databases the analyst may read: the pipeline's (CLICKHOUSE_DATABASE of the apps). */
export const ANALYST_DATABASES: readonly string[] = ['pitchpulse'];

/**
 * The analyst's settings profile, the same in the embedded stack, Compose and Kubernetes
 * (infra/clickhouse/users.d/analyst.xml). `readonly` 1 allows reading queries only and forbids changing any
 * setting, so a query cannot raise the limits (18.16 has no settings constraints, which readonly 2 would need).
 */
export const ANALYST_PROFILE = {
  readonly: 1,
  max_memory_usage: 4_000_000_000,
  max_execution_time: 60,
  max_concurrent_queries_for_user: 4,
} as const satisfies Record<string, number>;

/** The file in the data folder holding the analyst's password (mode 0600); users.xml holds its sha256 only. */
export const ANALYST_PASSWORD_FILE = 'analyst.password';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The analyst's password from `file`; a new random one, written there with mode 0600, when the file is missing
 * or empty (a data folder from before the analyst account existed gets one on its next start).
 */
function analystPassword(file: string): string {
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) {
      fs.chmodSync(file, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const password = randomBytes(24).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return password;
}

function usersConfig(analystPasswordSha256: string): string {
  const settings = Object.entries(ANALYST_PROFILE)
    .map(([name, value]) => `      <${name}>${value}</${name}>`)
    .join('\n');
  const databases = ANALYST_DATABASES.map((d) => `<database>${xmlEscape(d)}</database>`).join('');
  return `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
    <${ANALYST_USER}>
${settings}
    </${ANALYST_USER}>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <${ANALYST_USER}>
      <password_sha256_hex>${analystPasswordSha256}</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>${ANALYST_USER}</profile>
      <quota>default</quota>
      <allow_databases>${databases}</allow_databases>
    </${ANALYST_USER}>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`;
}

/** Debian's ClickHouse 18.16 server as a child process, configured for one data folder on free ports. */
export class ClickHouseServer {
  private readonly process: ServerProcess;
  private constructor(
    readonly dataDir: string,
    readonly httpPort: number,
    readonly tcpPort: number,
    /** The interserver HTTP port (replication), when configured. */
    readonly interserverHttpPort: number | undefined,
    private readonly analystPasswordFile: string,
  ) {
    this.process = new ServerProcess(`clickhouse-server on port ${httpPort}`);
  }

  static async create(options: ClickHouseServerOptions): Promise<ClickHouseServer> {
    const dataDir = path.resolve(options.dataDir);
    const httpPort = options.httpPort ?? (await freePort());
    const tcpPort = options.tcpPort ?? (await freePort());
    const ports = { httpPort, tcpPort, interserverHttpPort: options.interserverHttpPort };
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log']) {
      fs.mkdirSync(path.join(dataDir, sub), { recursive: true });
    }
    fs.writeFileSync(path.join(dataDir, 'config.xml'), serverConfig(dataDir, ports, options.configExtra));
    const passwordFile = path.resolve(
      options.analystPasswordFile ?? path.join(dataDir, ANALYST_PASSWORD_FILE),
    );
    const password = analystPassword(passwordFile);
    fs.writeFileSync(path.join(dataDir, 'users.xml'), usersConfig(sha256Hex(password)));
    return new ClickHouseServer(dataDir, httpPort, tcpPort, options.interserverHttpPort, passwordFile);
  }

  /** The read-only analyst account: its user name and the file holding its password. */
  get analyst(): { user: string; passwordFile: string } {
    return { user: ANALYST_USER, passwordFile: this.analystPasswordFile };
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const { file, args } = findBinary();
    await this.process.start(
      {
        file,
        args: [...args, `--config-file=${path.join(this.dataDir, 'config.xml')}`],
        cwd: this.dataDir,
        logFile: path.join(this.dataDir, 'log', 'stdout.log'),
        exitHint: this.errorLogPath(),
      },
      () => this.ping(),
      timeoutMs,
    );
  }

  /** SIGTERM (or `signal`), SIGKILL after timeoutMs; resolves once the server process is gone. */
  stop(timeoutMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.process.stop(timeoutMs, signal);
  }

  errorLogPath(): string {
    return path.join(this.dataDir, 'log', 'server.err.log');
  }
}
