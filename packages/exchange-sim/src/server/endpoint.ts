import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ArchiveReply } from '../history/binance-archive-server.ts';
import { type Venue, venues } from '../types.ts';
import type { EndpointFaults } from './connection.ts';
import type { VenueProtocol } from './protocol.ts';
import type { RestReply } from './rest-trades.ts';

export interface EndpointDeps {
  index: number;
  protocols: Record<Venue, VenueProtocol>;
  faults: EndpointFaults;
  wss: WebSocketServer;
  monotonic(): number;
  onConnection(venue: Venue, ws: WebSocket, socket: Duplex, path: string, query: URLSearchParams): void;
  /** The venues' trade-history routes (with their rate-limit headers); null when `path` is not one. */
  restTrades?(venue: Venue, path: string, query: URLSearchParams): RestReply | null;
  /**
   * The venue's public data archive files (binary); null when `path` is not an archive path; a promise
   * for a file still being built (the build yields the event loop between days).
   */
  archive?(venue: Venue, path: string): ArchiveReply | Promise<ArchiveReply> | null;
}

/** Splits '/binance/ws/btcusdt@trade?x=1' into the venue, the path after it and the query. */
function route(req: IncomingMessage): { venue: Venue; path: string; query: URLSearchParams } | null {
  const url = new URL(req.url ?? '/', 'http://sim');
  const slash = url.pathname.indexOf('/', 1);
  const prefix = slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash);
  const venue = venues.find((v) => v === prefix);
  if (!venue) return null;
  return { venue, path: slash < 0 ? '' : url.pathname.slice(slash), query: url.searchParams };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/** One listening endpoint: the venues' REST instrument routes and their WebSocket upgrades. */
export function listenEndpoint(host: string, port: number, deps: EndpointDeps): Promise<Server> {
  const server = createServer((req, res) => {
    const r = route(req);
    const file = r && req.method === 'GET' ? (deps.archive?.(r.venue, r.path) ?? null) : null;
    if (file) {
      Promise.resolve(file).then(
        (f) => {
          res.writeHead(f.status, { 'content-type': f.contentType, 'content-length': f.body.length });
          res.end(f.body);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":"archive file could not be built"}');
        },
      );
      return;
    }
    const trades = r && req.method === 'GET' ? (deps.restTrades?.(r.venue, r.path, r.query) ?? null) : null;
    if (trades) {
      res.writeHead(trades.status, { 'content-type': 'application/json', ...trades.headers });
      res.end(trades.body);
      return;
    }
    const reply = r && req.method === 'GET' ? deps.protocols[r.venue].rest(r.path, r.query) : null;
    res.writeHead(reply?.status ?? 404, { 'content-type': 'application/json' });
    res.end(reply?.body ?? '{"error":"not found"}');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const r = route(req);
    if (!r) return refuse(socket, 404, 'Not Found');
    if (deps.faults.refuseUntil[r.venue] > deps.monotonic())
      return refuse(socket, 503, 'Service Unavailable');
    const status = deps.protocols[r.venue].checkUpgrade(r.path, r.query);
    if (status !== null) return refuse(socket, status, status === 404 ? 'Not Found' : 'Bad Request');
    deps.wss.handleUpgrade(req, socket, head, (ws) =>
      deps.onConnection(r.venue, ws, socket, r.path, r.query),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
