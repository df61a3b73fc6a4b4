import net from 'node:net';

/**
 * A TCP proxy on loopback, in process, that a test can cut and restore: the way to make one engine's
 * database (or any TCP service) unavailable without stopping the server other tests share.
 * `cut()` destroys every open connection and refuses new ones (accepted, then closed at once, like a
 * server that is going down); `restore()` lets connections through again. Point the component under
 * test at `url(realUrl)`.
 */
export interface TcpProxy {
  readonly port: number;
  /** `target` (a URL such as postgresql://user@host:port/db) with its host and port replaced by the proxy's. */
  url(target: string): string;
  cut(): void;
  restore(): void;
  readonly isCut: boolean;
  /** Connections currently relayed. */
  readonly open: number;
  /** Connections refused while cut (to check the component really tried). */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let isCut = false;
  let refused = 0;

  const server = net.createServer((client) => {
    if (isCut) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
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
    client.pipe(upstream);
    upstream.pipe(client);
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
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore(): void {
      isCut = false;
    },
    get isCut() {
      return isCut;
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
