import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiDeps, appRouter, bearerFrom, type HealthReport, type RequestContext } from '@qt/api';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.ts';
import type { EngineMetrics } from '../observability/metrics.ts';
import { clientIp } from './client-ip.ts';
import { applyCors } from './cors.ts';

export interface ApiServerOptions {
  host: string;
  port: number;
  webOrigins: readonly string[];
  trustedProxies: readonly string[];
  api: ApiDeps;
  metrics: EngineMetrics;
  logger: Logger;
  /** Liveness: the process can answer. Readiness: its dependencies answer too. */
  readiness(): Promise<HealthReport>;
}

export interface ApiServer {
  url: string;
  wsUrl: string;
  port: number;
  /** Stops intake (new connections and calls), tells WebSocket clients to reconnect, waits for in-flight calls. */
  close(timeoutMs: number): Promise<void>;
}

const TRPC_PATH = '/trpc';

/**
 * One HTTP server carries the tRPC API (HTTP at /trpc, WebSocket upgrade at /trpc) and the operational
 * endpoints /healthz, /readyz and /metrics.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  let draining = false;
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    createContext: ({ req }): RequestContext => ({
      deps: opts.api,
      credential: bearerFrom(req.headers.authorization),
      ip: clientIp(req, opts.trustedProxies),
      transport: 'http',
    }),
  });

  const server: Server = createServer((req, res) => {
    if (applyCors(req, res, opts.webOrigins)) return;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return json(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' });
    if (path === '/readyz') return void readyz(res);
    if (path === '/metrics') return void metrics(res);
    if (path === TRPC_PATH || path.startsWith(`${TRPC_PATH}/`)) {
      if (draining) return json(res, 503, { error: 'shutting down' });
      return trpcHttp(req, res);
    }
    json(res, 404, { error: 'not found', hint: `the API is under ${TRPC_PATH}` });
  });

  async function readyz(res: ServerResponse): Promise<void> {
    const report = draining ? { status: 'down' as const, components: {} } : await opts.readiness();
    json(res, report.status === 'down' ? 503 : 200, report);
  }

  async function metrics(res: ServerResponse): Promise<void> {
    const body = await opts.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    createContext: ({ req, info }): RequestContext => {
      const fromParams = info.connectionParams?.token;
      return {
        deps: opts.api,
        credential:
          typeof fromParams === 'string' && fromParams ? fromParams : bearerFrom(req.headers.authorization),
        ip: clientIp(req, opts.trustedProxies),
        transport: 'ws',
      };
    },
  });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    const origin = req.headers.origin;
    // Browsers send Origin on WebSocket upgrades; scripts usually do not. Refuse foreign browser pages.
    if (draining || path !== TRPC_PATH || (origin && !opts.webOrigins.includes(origin))) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${hostForUrl}:${port}`;
  opts.logger.info({ url: `${url}${TRPC_PATH}` }, 'api listening');

  return {
    url,
    wsUrl: `ws://${hostForUrl}:${port}${TRPC_PATH}`,
    port,
    async close(timeoutMs) {
      draining = true;
      wsHandler.broadcastReconnectNotification();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      const timer = setTimeout(() => {
        server.closeAllConnections();
        for (const client of wss.clients) client.terminate();
      }, timeoutMs);
      await closed;
      clearTimeout(timer);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
