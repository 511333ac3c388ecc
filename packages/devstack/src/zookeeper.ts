import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ServerProcess } from './child';
import { freePort } from './ports';

/** Debian's `zookeeper` package: the server jar (its manifest names the other jars) and Java. */
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** slf4j's simple logger, from libslf4j-java (a dependency of the package): ZooKeeper's log without log4j. */
const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
const JAVA_CANDIDATES = ['/usr/bin/java'];

export interface ZooKeeperServerOptions {
  /** Folder for data, config and log; kept between runs. */
  dataDir: string;
  clientPort?: number;
}

function zooCfg(dataDir: string, clientPort: number): string {
  return [
    '# Written by packages/devstack on every start: a standalone ZooKeeper for the embedded ClickHouse cluster.',
    'tickTime=1000',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${path.join(dataDir, 'data')}`,
    `clientPort=${clientPort}`,
    'clientPortAddress=127.0.0.1',
    'maxClientCnxns=0',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,mntr,ruok',
    'autopurge.snapRetainCount=3',
    'autopurge.purgeInterval=1',
    '',
  ].join('\n');
}

/** Sends a ZooKeeper four-letter command (`ruok`, `srvr`, `mntr`) and returns the answer; '' when none came. */
export function fourLetterWord(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.end(command));
    const done = (): void => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', done);
    socket.once('error', done);
  });
}

/** Debian's ZooKeeper 3.8 (`QuorumPeerMain`, standalone) as a child process on a free loopback port. */
export class ZooKeeperServer {
  private readonly process: ServerProcess;
  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
  ) {
    this.process = new ServerProcess(`ZooKeeper on port ${clientPort}`);
  }

  static async create(options: ZooKeeperServerOptions): Promise<ZooKeeperServer> {
    const dataDir = path.resolve(options.dataDir);
    const clientPort = options.clientPort ?? (await freePort());
    for (const sub of ['data', 'log']) fs.mkdirSync(path.join(dataDir, sub), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'zoo.cfg'), zooCfg(dataDir, clientPort));
    return new ZooKeeperServer(dataDir, clientPort);
  }

  /** `host:port`, as ZooKeeper clients take it. */
  get connectString(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  /**
   * True when the server serves requests: `srvr` names its mode. (`ruok` is no test: 3.8 answers `imok` as soon as
   * the port listens, while it still closes client sessions with "ZooKeeperServer not running".)
   */
  async ping(): Promise<boolean> {
    return /^Mode: /m.test(await fourLetterWord(this.clientPort, 'srvr'));
  }

  logPath(): string {
    return path.join(this.dataDir, 'log', 'zookeeper.log');
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (!fs.existsSync(ZOOKEEPER_JAR)) {
      throw new Error(
        'ZooKeeper is not installed. Run `npm run bootstrap` or `sudo apt-get install -y zookeeper`.',
      );
    }
    const java = JAVA_CANDIDATES.find((f) => fs.existsSync(f)) ?? 'java';
    const classPath = [ZOOKEEPER_JAR, SLF4J_SIMPLE_JAR].filter((f) => fs.existsSync(f)).join(':');
    await this.process.start(
      {
        file: java,
        args: [
          '-Xms32m',
          '-Xmx256m',
          '-XX:+UseSerialGC',
          '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
          '-Dorg.slf4j.simpleLogger.showDateTime=true',
          '-Dzookeeper.admin.enableServer=false',
          '-cp',
          classPath,
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          path.join(this.dataDir, 'zoo.cfg'),
        ],
        cwd: this.dataDir,
        logFile: this.logPath(),
        exitHint: this.logPath(),
      },
      () => this.ping(),
      timeoutMs,
    );
  }

  /** SIGTERM (or `signal`), SIGKILL after timeoutMs; resolves once the JVM is gone. */
  stop(timeoutMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.process.stop(timeoutMs, signal);
  }
}
