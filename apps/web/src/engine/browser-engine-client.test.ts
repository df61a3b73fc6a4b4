import type { AddressInfo } from 'node:net';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterEach, describe, expect, it } from 'vitest';
import { createBrowserEngineClient } from './browser-engine-client';
import { engineErrorCode } from './engine-error';
import type { EngineTokenSource } from './engine-token';

// A real tRPC server standing in for the engine: it refuses every call with the code the engine's
// error formatter puts in `data.appCode`, and counts the calls that reach it.
function fakeEngine(appCode: string) {
  const t = initTRPC.create({
    errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, appCode } }),
  });
  let calls = 0;
  const router = t.router({
    accounts: t.router({
      me: t.procedure.query(() => {
        calls += 1;
        throw new TRPCError({ code: 'UNAUTHORIZED', message: appCode });
      }),
    }),
  });
  const server = createHTTPServer({ router, basePath: '/trpc/' });
  return {
    server,
    calls: () => calls,
    listen: () =>
      new Promise<string>((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        });
      }),
  };
}

function countingTokens(): EngineTokenSource & { fetched: number; invalidated: number } {
  const source = {
    fetched: 0,
    invalidated: 0,
    get: async () => `token-${++source.fetched}`,
    invalidate: () => {
      source.invalidated += 1;
    },
  };
  return source;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('browser engine client', () => {
  it('signs the browser out when the engine says the session was revoked, without fetching a new token for it', async () => {
    const engine = fakeEngine('AUTH_SESSION_REVOKED');
    const url = await engine.listen();
    servers.push(engine.server);
    const tokens = countingTokens();
    let revoked = 0;
    const client = createBrowserEngineClient({
      engineUrl: url,
      engineWsUrl: url.replace('http', 'ws'),
      tokens,
      onSessionRevoked: () => {
        revoked += 1;
      },
    });
    const err = await client.accounts.me.query().catch((e: unknown) => e);
    expect(engineErrorCode(err)).toBe('AUTH_SESSION_REVOKED');
    await client.accounts.me.query().catch(() => undefined);
    // No retry with a fresh token (it would be refused too), and the sign-out runs once.
    expect(engine.calls()).toBe(2);
    expect(tokens.fetched).toBe(2);
    expect(revoked).toBe(1);
  });

  it('retries once with a fresh token when the token expired', async () => {
    const engine = fakeEngine('AUTH_SESSION_EXPIRED');
    const url = await engine.listen();
    servers.push(engine.server);
    const tokens = countingTokens();
    let revoked = 0;
    const client = createBrowserEngineClient({
      engineUrl: url,
      engineWsUrl: url.replace('http', 'ws'),
      tokens,
      onSessionRevoked: () => {
        revoked += 1;
      },
    });
    const err = await client.accounts.me.query().catch((e: unknown) => e);
    expect(engineErrorCode(err)).toBe('AUTH_SESSION_EXPIRED');
    expect(engine.calls()).toBe(2);
    expect(tokens.invalidated).toBe(1);
    expect(revoked).toBe(0);
  });
});
