import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ctx } from './context.ts';
import { StripeApiError } from './errors.ts';
import { parseForm } from './http/form.ts';
import { IdempotencyCache } from './http/idempotency.ts';
import { Router } from './http/router.ts';
import { type PageResult, pageRoutes } from './pages/routes.ts';
import { apiRoutes } from './resources/index.ts';
import { loadState, saveState, startStatePersister } from './state-file.ts';
import { newId, Store } from './store.ts';
import type { StripeEmulator, StripeEmulatorOptions } from './types.ts';
import { WebhookDeliverer } from './webhooks.ts';

/** The API version of the pinned SDK (its `Stripe.API_VERSION`); events carry it as Stripe's do. */
export const emulatedApiVersion = '2026-11-18.endive';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped (memory stays bounded) so the client gets the answer.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () =>
      size > max ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Starts the emulator: Stripe's REST API under `/v1` (what the official SDK calls when pointed at
 * `{ host, port, protocol: 'http' }`), the hosted Checkout and billing portal pages, and webhook delivery.
 */
export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const clock = options.clock ?? Date.now;
  const limits = {
    maxObjectsPerKind: options.limits?.maxObjectsPerKind ?? 10_000,
    maxIdempotencyKeys: options.limits?.maxIdempotencyKeys ?? 1_000,
    maxBodyBytes: options.limits?.maxBodyBytes ?? 1 << 20,
  };
  const store = new Store(limits.maxObjectsPerKind);
  const webhooks = new WebhookDeliverer(
    {
      ...options.webhooks,
      url: options.webhookUrl ?? options.webhooks?.url,
      secret: options.webhookSecret ?? options.webhooks?.secret ?? `whsec_${randomBytes(24).toString('hex')}`,
    },
    clock,
  );
  const ctx: Ctx = {
    store,
    webhooks,
    baseUrl: '',
    apiVersion: emulatedApiVersion,
    billing: {
      retryDelaysDays: options.billing?.retryDelaysDays ?? [3, 5, 7],
      afterFinalFailure: options.billing?.afterFinalFailure ?? 'cancel',
    },
    wallSeconds: () => Math.floor(clock() / 1000),
    cards: new Map(),
    subscriptions: new Map(),
    balanceOwners: new Map(),
    request: null,
    platform: {
      id: options.platformAccountId ?? newId('acct', 16),
      created: Math.floor(clock() / 1000),
    },
  };
  // Before the server listens: no request sees a half-loaded state.
  const restored = options.stateFile ? loadState(ctx, options.stateFile) : false;
  // Saved within a second of each change (not only at stop): a crashed process loses at most that much.
  const persister = options.stateFile
    ? startStatePersister(ctx, options.stateFile, (err) =>
        process.emitWarning(`stripe emulator: could not save its state: ${String(err)}`),
      )
    : null;
  store.onChange = () => persister?.changed();
  const api = new Router().add(apiRoutes(ctx));
  const pages = pageRoutes();
  const idempotency = new IdempotencyCache(limits.maxIdempotencyKeys);

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  function errorBody(err: unknown): { status: number; body: string } {
    if (err instanceof StripeApiError)
      return { status: err.status, body: JSON.stringify({ error: err.body }, null, 2) };
    const message = err instanceof Error ? err.message : String(err);
    return { status: 500, body: JSON.stringify({ error: { type: 'api_error', message } }, null, 2) };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, raw: string): Promise<void> {
    const requestId = newId('req', 14);
    const base = {
      'Request-Id': requestId,
      'Stripe-Version': header(req, 'stripe-version') ?? emulatedApiVersion,
    };
    const auth = header(req, 'authorization') ?? '';
    const key = auth.startsWith('Bearer ')
      ? auth.slice(7)
      : auth.startsWith('Basic ')
        ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0]
        : '';
    if (!key || !/^(sk|rk)_test_/.test(key)) {
      const message = key
        ? 'The Stripe emulator accepts test-mode secret keys only (sk_test_...).'
        : 'You did not provide an API key. Provide it as Authorization: Bearer sk_test_...';
      send(res, 401, JSON.stringify({ error: { type: 'invalid_request_error', message } }), base);
      return;
    }
    const method = req.method ?? 'GET';
    const idemKey = method === 'POST' ? header(req, 'idempotency-key') : undefined;
    const fingerprint = `${method} ${url.pathname}\n${raw}`;
    try {
      if (idemKey) {
        if (idemKey.length > 255)
          throw new StripeApiError(400, {
            type: 'invalid_request_error',
            message: 'Idempotency-Key is longer than 255 characters.',
          });
        const replay = idempotency.lookup(idemKey, fingerprint);
        if (replay) {
          send(res, replay.status, replay.body, {
            ...base,
            'Idempotency-Key': idemKey,
            'Idempotent-Replayed': 'true',
          });
          return;
        }
      }
    } catch (err) {
      const { status, body } = errorBody(err);
      send(res, status, body, base);
      return;
    }
    let status = 200;
    let body: string;
    try {
      const params = parseForm(method === 'POST' ? raw : url.search.slice(1));
      const route = api.match(method, url.pathname);
      if (!route) {
        throw new StripeApiError(404, {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${url.pathname}). The Stripe emulator does not implement it; see packages/stripe-emulator/README.md.`,
        });
      }
      // Handlers are synchronous, so two requests never interleave inside one change.
      ctx.request = {
        id: requestId,
        idempotencyKey: idemKey ?? null,
        account: header(req, 'stripe-account') ?? null,
      };
      try {
        body = JSON.stringify(store.render(route.handler(ctx, params, route.args), params), null, 2);
      } finally {
        ctx.request = null;
      }
    } catch (err) {
      ({ status, body } = errorBody(err));
    }
    if (idemKey) idempotency.save(idemKey, { fingerprint, status, body });
    send(res, status, body, idemKey ? { ...base, 'Idempotency-Key': idemKey } : base);
  }

  function sendPage(res: ServerResponse, page: PageResult): void {
    if (page.redirect) {
      res.writeHead(303, { Location: page.redirect, 'Content-Length': 0 });
      res.end();
      return;
    }
    const html = page.html ?? '';
    res.writeHead(page.status ?? 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
    });
    res.end(html);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    // A change in place (a card's behaviour, an updated object) emits no insert: any request that may
    // change something schedules a save when it is answered.
    if (req.method !== 'GET') res.once('finish', () => persister?.changed());
    readBody(req, limits.maxBodyBytes).then(
      async (raw) => {
        if (url.pathname.startsWith('/v1/')) return handleApi(req, res, url, raw);
        const page = pages.match(req.method ?? 'GET', url.pathname);
        if (!page) {
          sendPage(res, { status: 404, html: '<!doctype html><title>Not found</title><p>Not found</p>' });
          return;
        }
        try {
          sendPage(
            res,
            page.handler(ctx, new URLSearchParams(req.method === 'POST' ? raw : url.search), page.args),
          );
        } catch (err) {
          const { status, body } = errorBody(err);
          sendPage(res, {
            status,
            html: `<!doctype html><title>Error</title><pre>${body.replace(/</g, '&lt;')}</pre>`,
          });
        }
      },
      (err: unknown) => {
        if (err instanceof BodyTooLarge) {
          const body = JSON.stringify({
            error: {
              type: 'invalid_request_error',
              message: `Request body larger than ${limits.maxBodyBytes} bytes.`,
            },
          });
          if (!res.headersSent) send(res, 413, body);
        } else if (!res.headersSent) {
          send(
            res,
            400,
            JSON.stringify({ error: { type: 'invalid_request_error', message: 'Unreadable body.' } }),
          );
        }
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  ctx.baseUrl = (options.publicUrl ?? url).replace(/\/$/, '');

  return {
    url,
    host,
    port,
    sdkOptions: { host, port, protocol: 'http' },
    get webhookSecret() {
      return webhooks.endpointSecret;
    },
    setWebhook: (target, secret) => webhooks.setEndpoint(target, secret),
    webhooksIdle: (timeoutMs) => webhooks.idle(timeoutMs),
    webhookStats: () => webhooks.stats(),
    events: () => store.oldestFirst('event'),
    restored,
    saveState: async () => {
      await persister?.flush();
    },
    get platformAccountId() {
      return ctx.platform.id;
    },
    switchPlatformAccount: (id) => {
      ctx.platform = { id: id ?? newId('acct', 16), created: ctx.wallSeconds() };
      persister?.changed();
      return ctx.platform.id;
    },
    stop: async () => {
      webhooks.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // After the last request: nothing changes the state while it is written (after any write in flight).
      await persister?.close();
      if (options.stateFile) await saveState(ctx, options.stateFile);
    },
  };
}
