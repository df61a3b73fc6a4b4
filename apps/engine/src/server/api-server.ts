import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApiDeps,
  appRouter,
  authenticate,
  bearerFrom,
  type HealthReport,
  type RequestContext,
  rateLimitHeaders,
  revalidateCredential,
} from '@qt/api';
import { isAppError } from '@qt/shared';
import { TIER_LIMITS } from '@qt/strategy-runtime';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.ts';
import type { EngineMetrics } from '../observability/metrics.ts';
import { clientIp } from './client-ip.ts';
import { applyCors } from './cors.ts';
import {
  GuardedWebSocket,
  LiveConnections,
  WS_MAX_MESSAGE_BYTES,
  WS_MAX_SUBSCRIPTIONS,
} from './live-connections.ts';
import {
  admitTrpcRequest,
  BodyBudget,
  DEFAULT_REQUEST_LIMITS,
  parseTrpcCall,
  type RequestLimits,
  uploadBodyBytes,
} from './request-limits.ts';
import { callsInFlight } from './ws-calls.ts';

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
  /** Bounds on request bodies, JSON depth and batches (defaults: `DEFAULT_REQUEST_LIMITS`). */
  requestLimits?: Partial<RequestLimits>;
  /**
   * Stripe's webhook (`POST /webhooks/stripe`): the raw body and the `Stripe-Signature` header, answered
   * with the status and JSON body billing decides (400 refused, 503 retry later, 200 applied). Absent:
   * the path answers 404 like any other.
   */
  stripeWebhook?: (raw: Buffer, signature: string | undefined) => Promise<{ status: number; body: unknown }>;
}

export interface ApiServer {
  url: string;
  wsUrl: string;
  port: number;
  /** WebSocket connections carrying a credential, and how many credential re-checks they have cost. */
  readonly live: { readonly size: number; readonly checks: number };
  /** Stops intake (new connections and calls), tells WebSocket clients to reconnect, waits for in-flight calls. */
  close(timeoutMs: number): Promise<void>;
}

const TRPC_PATH = '/trpc';
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';
/** Stripe's events are a few KiB; anything near this is not one. */
export const STRIPE_WEBHOOK_MAX_BYTES = 1 << 20;

/**
 * One HTTP server carries the tRPC API (HTTP at /trpc, WebSocket upgrade at /trpc) and the operational
 * endpoints /healthz, /readyz and /metrics.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  let draining = false;
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...opts.requestLimits };
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    // A typed error that says when to come back (database or rate-limit store unreachable, too many
    // attempts) says it in the standard header too, so generic HTTP clients back off.
    // Every answer to an authenticated call also carries its tier budgets' state (RateLimit headers).
    responseMeta({ ctx, errors }) {
      let retryAfter = 0;
      for (const e of errors) {
        const seconds = isAppError(e.cause) ? e.cause.details?.retryAfterSeconds : undefined;
        if (typeof seconds === 'number' && seconds > retryAfter) retryAfter = seconds;
      }
      const headers = rateLimitHeaders(ctx?.rateLimit?.policies);
      if (retryAfter > 0) headers['retry-after'] = String(Math.ceil(retryAfter));
      return { headers };
    },
    createContext: ({ req }): RequestContext => ({
      deps: opts.api,
      credential: bearerFrom(req.headers.authorization),
      ip: clientIp(req, opts.trustedProxies),
      transport: 'http',
      rateLimit: { policies: null },
    }),
  });

  const bodyBudget = new BodyBudget(limits.maxBodyBytesInFlight);
  // An upload's credential is verified (attempt-limited, then cached for the call itself) before its
  // body is read, and the body is bounded by the caller's tier's module cap.
  const uploadLimit = async (req: IncomingMessage): Promise<number> => {
    const principal = await authenticate({
      deps: opts.api,
      credential: bearerFrom(req.headers.authorization),
      ip: clientIp(req, opts.trustedProxies),
      transport: 'http',
    });
    return uploadBodyBytes(TIER_LIMITS[principal.tenant.tier].moduleBytes);
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // Server to server, signed: before CORS (no browser calls it) and outside tRPC (the signature is over
    // the exact bytes, so the body must reach billing unparsed).
    if (path === STRIPE_WEBHOOK_PATH && opts.stripeWebhook) return void stripeWebhook(req, res);
    if (applyCors(req, res, opts.webOrigins)) return;
    if (path === '/healthz') return json(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' });
    if (path === '/readyz') return void readyz(res);
    if (path === '/metrics') return void metrics(res);
    if (path === TRPC_PATH || path.startsWith(`${TRPC_PATH}/`)) {
      if (draining) return json(res, 503, { error: 'shutting down' });
      const call = parseTrpcCall(req.url ?? '/', `${TRPC_PATH}/`);
      return void admitTrpcRequest(req, res, call, limits, { budget: bodyBudget, uploadLimit }).then(
        (admitted) => (admitted ? trpcHttp(req, res) : undefined),
        (err: unknown) => {
          opts.logger.error({ err }, 'could not admit a request');
          if (!res.headersSent) json(res, 500, { error: 'internal error' });
        },
      );
    }
    json(res, 404, { error: 'not found', hint: `the API is under ${TRPC_PATH}` });
  });

  async function stripeWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const handle = opts.stripeWebhook as NonNullable<ApiServerOptions['stripeWebhook']>;
    const count = (outcome: string) => opts.metrics.billingWebhooks.inc({ outcome });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      req.resume();
      return json(res, 405, { error: 'method not allowed' });
    }
    // Shutting down: Stripe retries a non-2xx delivery, and the next engine (or this one restarted) takes it.
    if (draining) {
      req.resume();
      count('retry');
      return json(res, 503, { error: 'shutting down' });
    }
    let raw: Buffer | null;
    try {
      raw = await readBounded(req, STRIPE_WEBHOOK_MAX_BYTES);
    } catch {
      return; // the client went away mid-body: nothing to answer
    }
    if (!raw) {
      count('too_large');
      res.setHeader('connection', 'close');
      return json(res, 413, { error: `the body is over ${STRIPE_WEBHOOK_MAX_BYTES} bytes` });
    }
    const header = req.headers['stripe-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    try {
      const answer = await handle(raw, signature);
      count(answer.status < 300 ? 'applied' : answer.status < 500 ? 'refused' : 'retry');
      json(res, answer.status, answer.body);
    } catch (err) {
      // Billing answers its own failures; an exception is a defect, and 500 makes Stripe retry it.
      opts.logger.error({ err }, 'stripe webhook failed');
      count('error');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    }
  }

  async function readyz(res: ServerResponse): Promise<void> {
    const report = draining ? { status: 'down' as const, components: {} } : await opts.readiness();
    json(res, report.status === 'down' ? 503 : 200, report);
  }

  async function metrics(res: ServerResponse): Promise<void> {
    const body = await opts.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(body);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_MESSAGE_BYTES,
    WebSocket: GuardedWebSocket,
  });
  const cache = opts.api.credentialCache;
  const live = new LiveConnections({
    // Without a credential cache there is no change marker: re-check on the blind schedule only.
    generation: cache ? () => cache.generation() : async () => null,
    ...(cache ? { changes: (from: string, to: string) => cache.changesBetween(from, to) } : {}),
    revalidate: (credential) => revalidateCredential(opts.api, credential),
    onError: (err) => opts.logger.warn({ err }, 'could not re-check live connections'),
  });
  live.start();
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    createContext: ({ req, res, info }): RequestContext => {
      const fromParams = info.connectionParams?.token;
      const credential =
        typeof fromParams === 'string' && fromParams ? fromParams : bearerFrom(req.headers.authorization);
      live.add(res, req, credential);
      return {
        deps: opts.api,
        credential,
        ip: clientIp(req, opts.trustedProxies),
        transport: 'ws',
        connection: {
          subscriptions: 0,
          maxSubscriptions: WS_MAX_SUBSCRIPTIONS,
          calls: callsInFlight(),
          onClose: (fn) => void res.once('close', fn),
        },
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
    live,
    async close(timeoutMs) {
      draining = true;
      await live.stop();
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

/**
 * The request body, or null when it is over `max` bytes (the rest is read and dropped, so the client
 * receives the answer instead of a reset; memory stays bounded).
 */
function readBounded(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > max;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
