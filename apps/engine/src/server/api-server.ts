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
import { createTrpcHttpHandler } from './trpc-http.ts';
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
  /**
   * CSV exports under `/export/` (bearer-authenticated, streamed): answers and returns true for a path it
   * serves, false otherwise (then 404). Absent: `/export/` answers 404.
   */
  exportCsv?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
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
/** A webhook body that has not fully arrived by then is answered 408 and its connection closed. */
export const STRIPE_WEBHOOK_READ_TIMEOUT_MS = 10_000;

/**
 * One HTTP server carries the tRPC API (HTTP at /trpc, WebSocket upgrade at /trpc) and the operational
 * endpoints /healthz, /readyz and /metrics.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  let draining = false;
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...opts.requestLimits };
  // The fetch adapter behind a lean node:http conversion: see trpc-http.ts for why not the standalone one.
  const trpcHttp = createTrpcHttpHandler({
    router: appRouter,
    endpoint: TRPC_PATH,
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
    createContext: (req): RequestContext => ({
      deps: opts.api,
      credential: bearerFrom(req.headers.authorization),
      ip: clientIp(req, opts.trustedProxies),
      transport: 'http',
      rateLimit: { policies: null },
    }),
    onWriteError: (err) => opts.logger.warn({ err }, 'could not answer an API call'),
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
    if (path.startsWith('/export/') && opts.exportCsv) {
      if (draining) return json(res, 503, { error: 'shutting down' });
      const serve = opts.exportCsv;
      return void serve(req, res).then(
        (served) => (served ? undefined : json(res, 404, { error: 'not found' })),
        (err: unknown) => {
          opts.logger.error({ err }, 'export failed');
          if (!res.headersSent) json(res, 500, { error: 'internal error' });
          else res.destroy();
        },
      );
    }
    if (path === TRPC_PATH || path.startsWith(`${TRPC_PATH}/`)) {
      if (draining) return json(res, 503, { error: 'shutting down' });
      const call = parseTrpcCall(req.url ?? '/', `${TRPC_PATH}/`);
      return void admitTrpcRequest(req, res, call, limits, { budget: bodyBudget, uploadLimit }).then(
        (admitted) => (admitted ? trpcHttp(req, res, (req as BodyRead).body) : undefined),
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
    const count = (outcome: WebhookOutcome) => opts.metrics.billingWebhooks.inc({ outcome });
    // Answers and ends the exchange without reading the rest of the body: the socket goes once the
    // answer is out (what Stripe, or anyone, still sends is never buffered).
    const refuse = (status: number, outcome: WebhookOutcome, body: Record<string, unknown>) => {
      count(outcome);
      res.shouldKeepAlive = false;
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body), () => req.destroy());
    };
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return refuse(405, 'refused', { error: 'method not allowed' });
    }
    // Shutting down: Stripe retries a non-2xx delivery, and the next engine (or this one restarted) takes it.
    if (draining) return refuse(503, 'unavailable', { error: 'shutting down' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > STRIPE_WEBHOOK_MAX_BYTES)
      return refuse(413, 'too_large', { error: `the body is over ${STRIPE_WEBHOOK_MAX_BYTES} bytes` });
    // The body's bytes come out of the same engine-wide budget as the API's bodies, given back when the
    // exchange ends: a flood of deliveries cannot hold more memory than that budget.
    let held = 0;
    res.once('close', () => bodyBudget.give(held));
    const take = (bytes: number) => {
      if (!bodyBudget.take(bytes)) return false;
      held += bytes;
      return true;
    };
    const busy = { error: 'busy reading other request bodies, retry' };
    // A declared length is reserved at once (then the read takes nothing more); chunked bodies per chunk.
    const reserved = Number.isFinite(declared) && declared > 0;
    if (reserved && !take(declared)) return refuse(503, 'unavailable', busy);
    const raw = await readWebhookBody(req, reserved ? () => true : take);
    if (raw === 'aborted') return; // the client went away mid-body: nothing to answer
    if (raw === 'too-large')
      return refuse(413, 'too_large', { error: `the body is over ${STRIPE_WEBHOOK_MAX_BYTES} bytes` });
    if (raw === 'busy') return refuse(503, 'unavailable', busy);
    if (raw === 'timeout')
      return refuse(408, 'timeout', {
        error: `the body did not arrive within ${STRIPE_WEBHOOK_READ_TIMEOUT_MS / 1000} s`,
      });
    const header = req.headers['stripe-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    try {
      const answer = await handle(raw, signature);
      count(webhookOutcome(answer));
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
/**
 * The label values of qt_billing_webhooks_total (a fixed set: the handler's own outcome for a 200, the
 * refusals by kind). `refused`: not a POST.
 */
type WebhookOutcome =
  | 'applied'
  | 'duplicate'
  | 'ignored'
  | 'bad_signature'
  | 'unavailable'
  | 'error'
  | 'too_large'
  | 'timeout'
  | 'refused';

/** What billing's answer says happened: 200 carries its outcome (applied, duplicate or ignored). */
function webhookOutcome(answer: { status: number; body: unknown }): WebhookOutcome {
  if (answer.status === 200) {
    const outcome = (answer.body as { outcome?: unknown } | null)?.outcome;
    return outcome === 'duplicate' || outcome === 'ignored' ? outcome : 'applied';
  }
  if (answer.status === 400) return 'bad_signature';
  if (answer.status === 413) return 'too_large';
  if (answer.status === 503) return 'unavailable';
  return 'error';
}

/**
 * Reads a webhook body: stops the moment it passes STRIPE_WEBHOOK_MAX_BYTES, when `take` refuses a chunk
 * (the body budget is spent) or after STRIPE_WEBHOOK_READ_TIMEOUT_MS (a sender trickling bytes holds
 * nothing for longer).
 */
function readWebhookBody(
  req: IncomingMessage,
  take: (bytes: number) => boolean,
): Promise<Buffer | 'too-large' | 'busy' | 'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => stop('timeout'), STRIPE_WEBHOOK_READ_TIMEOUT_MS);
    const stop = (result: 'too-large' | 'busy' | 'timeout') => {
      chunks.length = 0;
      req.pause();
      done(result);
    };
    const done = (result: Buffer | 'too-large' | 'busy' | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > STRIPE_WEBHOOK_MAX_BYTES) return stop('too-large');
      if (!take(chunk.length)) return stop('busy');
      chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks, size));
    const onAbort = () => done('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

/** A request whose body `admitTrpcRequest` has read (absent for GET). */
type BodyRead = IncomingMessage & { body?: string };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
