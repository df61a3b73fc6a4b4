/**
 * The cost of the HTTP adapter alone: the engine's router (`appRouter`) answering its no-op procedure
 * (`system.version`, no limiter, no database) through each way of serving it, against a bare `node:http`
 * answer of the same bytes, all in one process.
 *
 *   npx tsx bench/api-adapters.bench.ts
 *
 * Cases (one keep-alive client pool for the HTTP ones, `CONCURRENCY` calls in flight):
 * - bare node:http: the cheapest answer this process can give (the baseline);
 * - tRPC standalone (`createHTTPHandler`): what the engine serves /trpc with;
 * - tRPC standalone behind the engine's guards: CORS, `parseTrpcCall` and `admitTrpcRequest` (body, batch,
 *   depth limits) in front of the handler, as in apps/engine/src/server/api-server.ts;
 * - tRPC fetch adapter (`fetchRequestHandler`) on node:http: the request turned into a WHATWG `Request`
 *   here and the `Response` written back;
 * - tRPC Fastify adapter: only when `fastify` is installed (it is not a dependency of this repository:
 *   the run says so);
 * - tRPC over the WebSocket (`applyWSSHandler`, `createWSClient` + `wsLink` as scripts use it), one
 *   connection carrying `CONCURRENCY` calls in flight.
 *
 * The load generator shares the process (and the 2 cores) with the servers: ratios, not absolute figures.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiDeps, appRouter, type RequestContext } from '@qt/api';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { applyCors } from '../apps/engine/src/server/cors.ts';
import {
  admitTrpcRequest,
  BodyBudget,
  DEFAULT_REQUEST_LIMITS,
  parseTrpcCall,
} from '../apps/engine/src/server/request-limits.ts';
import {
  against,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';

const CONCURRENCY = 16;
const SECONDS = benchSeconds(6);
const ROUNDS = benchRounds(3);
const log = (line: string) => process.stdout.write(`${line}\n`);

/** What `system.version` reads: no request limiter, so the public budget is not in the way. */
const deps = { version: '0.1.0' } as unknown as ApiDeps;
const contextOf = (transport: 'http' | 'ws'): RequestContext => ({
  deps,
  credential: null,
  ip: '127.0.0.1',
  transport,
  rateLimit: { policies: null },
});

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });

function get(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200)
          reject(new Error(`${url.pathname}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        else resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function listen(server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc/system.version`);
}

/** A WHATWG Request for a node:http request (what every tRPC v11 Node adapter builds internally too). */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) for (const each of v) headers.append(k, each);
  }
  const method = req.method ?? 'GET';
  const body =
    method === 'GET' || method === 'HEAD'
      ? null
      : (new ReadableStream({
          start(controller) {
            req.on('data', (c: Buffer) => controller.enqueue(new Uint8Array(c)));
            req.on('end', () => controller.close());
            req.on('error', (e) => controller.error(e));
          },
        }) as ReadableStream<Uint8Array>);
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method,
    headers,
    body,
    ...(body ? { duplex: 'half' } : {}),
  } as RequestInit);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [k, v] of response.headers) res.setHeader(k, v);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** `fastify` and its tRPC adapter, when installed; null otherwise (not a dependency of this repository). */
async function fastifyServer(): Promise<{ url: URL; close(): Promise<void> } | null> {
  const moduleName = 'fastify';
  let fastify: ((opts?: object) => FastifyLike) | undefined;
  try {
    fastify = ((await import(moduleName)) as { default: (opts?: object) => FastifyLike }).default;
  } catch {
    return null;
  }
  const { fastifyTRPCPlugin } = (await import('@trpc/server/adapters/fastify')) as {
    fastifyTRPCPlugin: unknown;
  };
  const app = fastify();
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: { router: appRouter, createContext: () => contextOf('http') },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { url: new URL(`http://127.0.0.1:${port}/trpc/system.version`), close: () => app.close() };
}
interface FastifyLike {
  register(plugin: unknown, opts: object): Promise<unknown>;
  listen(opts: { port: number; host: string }): Promise<unknown>;
  close(): Promise<void>;
  server: Server;
}

async function main(): Promise<void> {
  const servers: Server[] = [];
  const bareBody = JSON.stringify({ result: { data: { version: '0.1.0', api: 1 } } });
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(bareBody);
  });
  servers.push(bare);

  const standaloneHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: () => contextOf('http'),
  });
  const standalone = createServer(standaloneHandler);
  servers.push(standalone);

  const budget = new BodyBudget(DEFAULT_REQUEST_LIMITS.maxBodyBytesInFlight);
  const guarded = createServer((req, res) => {
    if (applyCors(req, res, [])) return;
    const call = parseTrpcCall(req.url ?? '/', '/trpc/');
    void admitTrpcRequest(req, res, call, DEFAULT_REQUEST_LIMITS, { budget }).then((admitted) =>
      admitted ? standaloneHandler(req, res) : undefined,
    );
  });
  servers.push(guarded);

  const fetchServer = createServer((req, res) => {
    void fetchRequestHandler({
      endpoint: '/trpc',
      req: toRequest(req),
      router: appRouter,
      createContext: () => contextOf('http'),
    }).then((response) => writeResponse(response, res));
  });
  servers.push(fetchServer);

  const wsHttp = createServer((_req, res) => res.writeHead(404).end());
  servers.push(wsHttp);
  const wss = new WebSocketServer({ server: wsHttp });
  const wsHandler = applyWSSHandler({ wss, router: appRouter, createContext: () => contextOf('ws') });

  const [bareUrl, standaloneUrl, guardedUrl, fetchUrl, wsHttpUrl] = await Promise.all(servers.map(listen));
  const fastify = await fastifyServer();
  const wsClient = createWSClient({
    url: `ws://127.0.0.1:${(wsHttpUrl as URL).port}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const trpcWs = createTRPCClient<typeof appRouter>({ links: [wsLink({ client: wsClient })] });

  try {
    const loop = (op: () => Promise<unknown>) => (seconds: number, warmupSeconds: number) =>
      closedLoop(op, { seconds, warmupSeconds, concurrency: CONCURRENCY });
    const cases: Case[] = [
      { name: 'bare node:http', run: loop(() => get(bareUrl as URL)) },
      { name: 'tRPC standalone', run: loop(() => get(standaloneUrl as URL)) },
      { name: 'tRPC standalone + engine guards', run: loop(() => get(guardedUrl as URL)) },
      { name: 'tRPC fetch adapter on node:http', run: loop(() => get(fetchUrl as URL)) },
      ...(fastify ? [{ name: 'tRPC fastify adapter', run: loop(() => get(fastify.url)) }] : []),
      { name: 'tRPC WebSocket (wsLink)', run: loop(() => trpcWs.system.version.query()) },
    ];
    // Every case answers before it is timed.
    for (const c of cases) await c.run(0.05, 0);
    if (!fastify)
      log('fastify is not installed (not a dependency here): the Fastify adapter is not measured');
    log(
      `api adapters: system.version, ${CONCURRENCY} calls in flight, ${SECONDS} s per case in ${ROUNDS} interleaved rounds`,
    );
    const measured = await interleaved(
      cases,
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    const [base] = measured;
    if (!base) throw new Error('no baseline');
    const results = measured.map((c) => against(c, base, 'req/s', `${CONCURRENCY} in flight, same process`));
    log('');
    log(table(results));
    for (const r of results)
      report({ ...r, bench: `api adapters: ${r.bench}`, baseline_name: `api adapters: ${r.baseline_name}` });
    for (const c of measured) c.histogram.destroy();
  } finally {
    wsClient.close();
    wsHandler.broadcastReconnectNotification();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    agent.destroy();
    await fastify?.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `api adapters bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
