import net from 'node:net';

/**
 * A TCP front for one backend, like a load balancer that routes only to a ready pod: when the backend dies the
 * connections it had are closed (their requests get no answer); while it is held, new connections wait, unread,
 * until `release` names the backend that is ready again.
 */
export class HoldingProxy {
  private backendPort: number | undefined;
  private waiting: net.Socket[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(backendUrl: string): Promise<HoldingProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new HoldingProxy(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => proxy.accept(client));
    proxy.release(backendUrl);
    return proxy;
  }

  /** New connections wait from now on (the backend is about to go). */
  hold(): void {
    this.backendPort = undefined;
  }

  /** The backend at `backendUrl` is ready: the waiting connections and every new one go to it. */
  release(backendUrl: string): void {
    this.backendPort = Number(new URL(backendUrl).port);
    for (const client of this.waiting.splice(0)) this.connect(client, this.backendPort);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (this.backendPort === undefined) this.waiting.push(client);
    else this.connect(client, this.backendPort);
  }

  private connect(client: net.Socket, port: number): void {
    if (client.destroyed) return;
    const backend = this.track(net.connect(port, '127.0.0.1'));
    client.pipe(backend).pipe(client);
    // Either side gone: the other goes too (a client cut by a dying backend sees its request unanswered).
    backend.on('close', () => client.destroy());
    client.on('close', () => backend.destroy());
  }

  private track(socket: net.Socket): net.Socket {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    return socket;
  }
}
