#!/usr/bin/env node
// The dashboard's HTTP server: Next.js behind a thin node:http layer that overwrites X-Forwarded-For
// with the client address this server saw (client-address.mjs). Next.js keeps a browser's own
// X-Forwarded-For, and route handlers cannot see the socket's peer, so without this layer the address
// the engine's sign-in limits count against would be chosen by the browser.
//
//   node server.mjs [--dev] [-p <port>] [-H <host>]     (PORT / HOSTNAME work too; default 3000, all)
//
// WEB_TRUSTED_PROXIES: exact addresses of reverse proxies in front of this server (default: none).
import { parseArgs } from 'node:util';
import next from 'next';
import { createForwardingServer, parseTrustedProxies } from './client-address.mjs';

const { values } = parseArgs({
  options: {
    dev: { type: 'boolean', default: false },
    port: { type: 'string', short: 'p' },
    hostname: { type: 'string', short: 'H' },
  },
});
const dev = values.dev ?? false;
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname ?? process.env.HOSTNAME;
const trusted = parseTrustedProxies(process.env.WEB_TRUSTED_PROXIES);
// As `next start` / `next dev` would set it (read when Next.js is created, below).
process.env.NODE_ENV ??= dev ? 'development' : 'production';
// Tells src/engine/server-engine-client.ts that X-Forwarded-For was written by this server, not the
// browser: run under plain `next start`, it forwards no address at all rather than a forgeable one.
process.env.QT_WEB_FORWARDED_FOR = 'rewritten';

// Requests are taken only after prepare() (listen comes last); the placeholder is never reached.
let handle = (_req, res) => {
  res.writeHead(503).end('starting');
};
const server = createForwardingServer((req, res) => handle(req, res), trusted);
// httpServer: Next.js attaches its own upgrade handler (hot reload in dev) to this server.
const app = next({
  dev,
  dir: import.meta.dirname,
  port,
  hostname: hostname ?? 'localhost',
  httpServer: server,
});
await app.prepare();
handle = app.getRequestHandler();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  if (hostname) server.listen(port, hostname, resolve);
  else server.listen(port, resolve);
});
console.log(`> dashboard ${dev ? '(dev) ' : ''}on http://${hostname ?? 'localhost'}:${port}`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  // Finish in-flight requests (as `next start` does on SIGTERM), then let Next.js clean up.
  const force = setTimeout(() => process.exit(0), 10_000);
  force.unref();
  server.close(() => {
    Promise.resolve(app.close?.())
      .catch(() => {})
      .finally(() => process.exit(0));
  });
  server.closeIdleConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
