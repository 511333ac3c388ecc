import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, isProcessAlive, waitFor } from './ports';

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

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function serverConfig(dir: string, httpPort: number, tcpPort: number): string {
  const d = xmlEscape(dir);
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
  <tcp_port>${tcpPort}</tcp_port>
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
</yandex>
`;
}

const USERS_CONFIG = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
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

/** Debian's ClickHouse 18.16 server as a child process, configured for one data folder on free ports. */
export class ClickHouseServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly dataDir: string,
    readonly httpPort: number,
    readonly tcpPort: number,
  ) {}

  static async create(options: ClickHouseServerOptions): Promise<ClickHouseServer> {
    const dataDir = path.resolve(options.dataDir);
    const httpPort = options.httpPort ?? (await freePort());
    const tcpPort = options.tcpPort ?? (await freePort());
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log']) {
      fs.mkdirSync(path.join(dataDir, sub), { recursive: true });
    }
    fs.writeFileSync(path.join(dataDir, 'config.xml'), serverConfig(dataDir, httpPort, tcpPort));
    fs.writeFileSync(path.join(dataDir, 'users.xml'), USERS_CONFIG);
    return new ClickHouseServer(dataDir, httpPort, tcpPort);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
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
    if (this.running) return;
    const { file, args } = findBinary();
    const out = fs.openSync(path.join(this.dataDir, 'log', 'stdout.log'), 'a');
    const child = spawn(file, [...args, `--config-file=${path.join(this.dataDir, 'config.xml')}`], {
      cwd: this.dataDir,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.child = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(
      `ClickHouse on port ${this.httpPort}`,
      async () => {
        if (exited) throw new Error(`clickhouse-server exited during start-up; see ${this.errorLogPath()}`);
        return this.ping();
      },
      timeoutMs,
    );
  }

  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    const pid = child.pid;
    await waitFor('clickhouse-server to exit', () => !isProcessAlive(pid), 5000);
  }

  errorLogPath(): string {
    return path.join(this.dataDir, 'log', 'server.err.log');
  }
}
