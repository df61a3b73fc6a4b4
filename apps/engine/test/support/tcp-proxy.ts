import net from 'node:net';

/**
 * A TCP proxy on loopback, in process, that a test can cut and restore: the way to make one engine's
 * database (or any TCP service) unavailable without stopping the server other tests share.
 * `cut()` destroys every open connection and refuses new ones (accepted, then closed at once, like a
 * server that is going down); `stall()` is the network that drops packets or the server that hangs:
 * open connections stay open but nothing more is forwarded either way, and new ones are accepted and
 * then held, never answered and never reset. `restore()` ends either: connections are let through again,
 * and a stalled one goes on with what was sent meanwhile (as TCP does once its retransmissions get
 * through). Point the component under test at `url(realUrl)`.
 */
export interface TcpProxy {
  readonly port: number;
  /** `target` (a URL such as postgresql://user@host:port/db) with its host and port replaced by the proxy's. */
  url(target: string): string;
  cut(): void;
  stall(): void;
  restore(): void;
  readonly isCut: boolean;
  readonly isStalled: boolean;
  /** Connections accepted while stalled (to check the component really tried). */
  readonly heldWhileStalled: number;
  /** Connections currently relayed. */
  readonly open: number;
  /** Connections refused while cut (to check the component really tried). */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  type Pair = { client: net.Socket; upstream: net.Socket; flowing: boolean };
  const pairs = new Set<Pair>();
  let isCut = false;
  let isStalled = false;
  let refused = 0;
  let heldWhileStalled = 0;

  const flow = (pair: Pair) => {
    if (pair.flowing) return;
    pair.flowing = true;
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  // Nothing more is read from either side (the kernel's buffers fill, then the sender's window closes):
  // no data, no FIN, no RST reaches the other side until `restore()`.
  const hold = (pair: Pair) => {
    if (!pair.flowing) return;
    pair.flowing = false;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };

  const server = net.createServer((client) => {
    if (isCut) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, flowing: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Errors end both sides; they are expected when cut (ECONNRESET, EPIPE) and must not be thrown.
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    if (isStalled) {
      heldWhileStalled++;
      client.pause();
      upstream.pause();
    } else flow(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url(t: string): string {
      const u = new URL(t);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut(): void {
      isCut = true;
      isStalled = false;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    stall(): void {
      isStalled = true;
      for (const pair of pairs) hold(pair);
    },
    restore(): void {
      isCut = false;
      isStalled = false;
      for (const pair of pairs) flow(pair);
    },
    get isCut() {
      return isCut;
    },
    get isStalled() {
      return isStalled;
    },
    get heldWhileStalled() {
      return heldWhileStalled;
    },
    get open() {
      return pairs.size;
    },
    get refused() {
      return refused;
    },
    async close(): Promise<void> {
      isCut = true;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Host and port of a connection URL (for `startTcpProxy`). */
export function targetOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) };
}
