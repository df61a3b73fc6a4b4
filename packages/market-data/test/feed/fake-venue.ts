import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** One client connection as the fake venue saw it. */
export interface FakeConnection {
  readonly socket: WebSocket;
  /** Path and query the client asked for. */
  readonly url: string;
  readonly received: string[];
  readonly pongs: string[];
  send(frame: string | object): void;
}

export interface FakeVenue {
  /** `ws://127.0.0.1:<port>/<prefix>`, a base the adapters append their paths to. */
  readonly base: string;
  readonly connections: FakeConnection[];
  /** Connections still open. */
  open(): FakeConnection[];
  close(): Promise<void>;
}

export interface FakeVenueScript {
  /** Called for each client frame; answer through `conn.send`. */
  onMessage?: (conn: FakeConnection, text: string) => void;
  onConnection?: (conn: FakeConnection) => void;
}

/** A tiny local WebSocket server the tests script per venue: real sockets, no mocks. */
export async function startFakeVenue(prefix: string, script: FakeVenueScript = {}): Promise<FakeVenue> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const connections: FakeConnection[] = [];
  server.on('connection', (socket, req) => {
    const conn: FakeConnection = {
      socket,
      url: req.url ?? '',
      received: [],
      pongs: [],
      send(frame) {
        if (socket.readyState === WebSocket.OPEN)
          socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      },
    };
    connections.push(conn);
    socket.on('message', (data) => {
      const text = data.toString();
      conn.received.push(text);
      script.onMessage?.(conn, text);
    });
    socket.on('pong', (data) => conn.pongs.push(data.toString()));
    script.onConnection?.(conn);
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `ws://127.0.0.1:${port}/${prefix}`,
    connections,
    open: () => connections.filter((c) => c.socket.readyState === WebSocket.OPEN),
    close: async () => {
      for (const c of connections) c.socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A base where nothing listens: connecting to it is refused. */
export async function refusedBase(): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}/refused`;
}

/** Polls `check` until it holds; fails after `timeoutMs`. Bounded waiting, never a fixed sleep. */
export async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function binanceTrade(symbol: string, id: number, price = '100.10'): string {
  const lower = symbol.toLowerCase();
  return JSON.stringify({
    stream: `${lower}@trade`,
    data: {
      e: 'trade',
      E: 1767225600000 + id,
      s: symbol,
      t: id,
      p: price,
      q: '0.50000000',
      T: 1767225600000 + id,
      m: id % 2 === 0,
      M: true,
    },
  });
}

export function binanceBookTicker(symbol: string, u: number): string {
  return JSON.stringify({
    stream: `${symbol.toLowerCase()}@bookTicker`,
    data: { u, s: symbol, b: '25.35190000', B: '31.21000000', a: '25.36520000', A: '40.66000000' },
  });
}

/** A recording logger, shaped like pino's. */
export function recordingLogger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}
