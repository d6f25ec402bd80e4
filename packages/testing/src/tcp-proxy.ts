import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between services and a server (PostgreSQL, Redis), so a test can take the server
 * away from them — every open connection destroyed, new ones refused — or have it stop answering,
 * without stopping the server that other tests share.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  private port = 0;
  /** Connections accepted so far (each one a connection to the upstream server, unless stalled). */
  accepted = 0;

  constructor(
    private readonly upstream: { host: string; port: number },
    private readonly listenPort = 0,
  ) {}

  /** The proxy's address in place of the upstream's: `postgres://…@127.0.0.1:<proxy port>/…`. */
  rewrite(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  async start(): Promise<void> {
    this.stalled = false;
    const server = createServer((client) => {
      this.accepted += 1;
      this.sockets.add(client);
      if (this.stalled) {
        // Accepted and never answered, as by a server that hangs.
        client.on('error', () => client.destroy()).on('close', () => this.sockets.delete(client));
        return;
      }
      const upstream = connect(this.upstream.port, this.upstream.host);
      this.sockets.add(upstream);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port || this.listenPort, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /**
   * The server stops answering, its connections left open: nothing more goes either way, and new
   * connections are accepted but never reach it. A query under way hangs until `cut()` (or the
   * client's own timeout) ends it.
   */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /**
   * New connections reach the server again; those stalled stay so, open and silent, as a
   * half-open link does until its client gives up on it.
   */
  resume(): void {
    this.stalled = false;
  }

  /** The server goes away: open connections are cut (as a crash or a network partition does) and new ones refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.pairs.clear();
    await closed;
  }

  /** The server is back, on the same address. */
  async restore(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
