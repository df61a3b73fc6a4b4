import { type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForwardingServer, parseTrustedProxies } from '../../../web/client-address.mjs';
import { forwardedForEngine } from '../../../web/src/engine/forwarded-for.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

// The engine's limits (apps/engine/src/engine.ts): failed sign-ins 10 per IP + email and 100 per IP per
// 15 min; failed credentials (API keys, session tokens) 30 per IP per minute.
const PER_ACCOUNT = 10;
const PER_IP = 100;
const PER_IP_CREDENTIALS = 30;

function count(codes: readonly string[], code: string): number {
  return codes.filter((c) => c === code).length;
}

/** Settles a call to its outcome: 'OK' or the stable error code. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch {
    return appCodeOf(call);
  }
}

/**
 * Opens `n` keep-alive connections to the engine (fetch pools them per origin), so the next `n` calls go
 * out at once on open sockets instead of trickling in as connections are set up: as simultaneous as a
 * batched request.
 */
async function warmConnections(t: TestEngine, n: number): Promise<void> {
  const healthz = t.url.replace(/\/trpc$/, '/healthz');
  await Promise.all(Array.from({ length: n }, () => fetch(healthz).then((r) => r.text())));
}

const stores = [
  ['Redis', process.env.REDIS_URL],
  ['memory', undefined],
] as const;

describe.each(stores)('attempt limits hold under concurrency (%s store)', (_name, redisUrl) => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ redisUrl });
  });
  afterAll(() => t?.stop());

  it('150 concurrent password guesses on one account, the right one among them: at most the limit are evaluated, and the right password does not get in', async () => {
    const victim = await t.signUp('victim');
    const other = await t.signUp('other');
    // One address for the attacker (the engine trusts the test's loopback peer as a proxy).
    const client = t.client(null, { 'x-forwarded-for': '198.51.100.10' });
    const guess = (email: string, password: string) =>
      outcome(client.auth.signIn.mutate({ email, password }));

    // Each call is its own HTTP request, all in flight at once; the right password is sent in the middle,
    // after 75 wrong ones (requests are taken in roughly the order they are sent, so by the time it is
    // looked at the 10 attempts are long reserved).
    await warmConnections(t, 150);
    const calls = Array.from({ length: 150 }, (_, i) =>
      guess(victim.user.email, i === 75 ? victim.password : `wrong-password-${i}`),
    );
    const codes = await Promise.all(calls);

    expect(codes[75]).toBe('AUTH_TOO_MANY_ATTEMPTS');
    // The evaluated attempts answered "wrong password"; all others were refused before any hashing.
    expect(count(codes, 'AUTH_INVALID_CREDENTIALS')).toBe(PER_ACCOUNT);
    expect(count(codes, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(codes.length - PER_ACCOUNT);
    // Still blocked afterwards, right password or not.
    expect(await guess(victim.user.email, victim.password)).toBe('AUTH_TOO_MANY_ATTEMPTS');

    // How many were evaluated, measured another way: each evaluated wrong password also spent one of the
    // address's 100, the refused ones none. Someone else at the address still signs in, and a spray of
    // 150 concurrent guesses at other emails gets exactly the rest of the address's budget evaluated.
    await expect(
      client.auth.signIn.mutate({ email: other.user.email, password: other.password }),
    ).resolves.toMatchObject({ user: { id: other.user.id } });
    const spray = await Promise.all(
      Array.from({ length: 150 }, (_, i) => guess(`spray-${i}@example.test`, 'wrong-password')),
    );
    expect(count(spray, 'AUTH_INVALID_CREDENTIALS')).toBe(PER_IP - PER_ACCOUNT);
    expect(count(spray, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(spray.length - (PER_IP - PER_ACCOUNT));

    // The victim's account is fine from another address.
    const elsewhere = t.client(null, { 'x-forwarded-for': '198.51.100.11' });
    await expect(
      elsewhere.auth.signIn.mutate({ email: victim.user.email, password: victim.password }),
    ).resolves.toMatchObject({ user: { id: victim.user.id } });
  }, 120_000); // ~110 argon2 verifications on a shared 2-core machine

  it('150 concurrent API-key guesses, a good key among them: at most the limit are evaluated; a good key in a burst is not counted', async () => {
    const owner = await t.signUp('keys');
    const { secret: key } = await t
      .client(owner.token)
      .apiKeys.create.mutate({ name: 'bot', scopes: ['read'] });

    const from = (k: string, address: string) => t.client(k, { 'x-forwarded-for': address });
    await warmConnections(t, 150);
    const codes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        outcome(
          from(
            i === 75 ? key : `qt_${String(i).padStart(12, 'A')}_${'b'.repeat(32)}`,
            '198.51.100.30',
          ).accounts.me.query(),
        ),
      ),
    );
    expect(codes[75]).toBe('AUTH_TOO_MANY_ATTEMPTS');
    expect(count(codes, 'AUTH_API_KEY_INVALID')).toBe(PER_IP_CREDENTIALS);
    expect(count(codes, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(codes.length - PER_IP_CREDENTIALS);
    // The address is blocked, not the key.
    expect(await outcome(from(key, '198.51.100.30').accounts.me.query())).toBe('AUTH_TOO_MANY_ATTEMPTS');

    // A script's burst of 60 parallel calls with its one good key (more than the failure budget) all
    // pass: they share one verification, and a good key gives its reserved attempt back.
    const script = from(key, '198.51.100.31');
    for (let round = 0; round < 2; round++) {
      const burst = await Promise.all(Array.from({ length: 60 }, () => outcome(script.accounts.me.query())));
      expect(count(burst, 'OK')).toBe(60);
    }
  }, 120_000);
});

// ---- Client addresses through the dashboard's server (apps/web/server.mjs's rewriting layer) --------

interface Web {
  server: Server;
  port: number;
}

/**
 * The dashboard's server as far as addresses go: the real X-Forwarded-For rewriting layer of
 * apps/web/server.mjs, in front of a handler that does what next-auth's authorize() does through
 * serverEngineClient: call `auth.signIn` on the engine, passing on only the address the layer wrote.
 * `engineFrom` is the local address the web server's connections to the engine leave from.
 */
async function startWeb(engineUrl: string, engineFrom: string, host: string): Promise<Web> {
  const env = { QT_WEB_FORWARDED_FOR: 'rewritten' };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const forwardedFor = forwardedForEngine(
      (req.headers['x-forwarded-for'] as string | undefined) ?? null,
      env,
    );
    const answer = await post(`${engineUrl}/auth.signIn`, body, {
      localAddress: engineFrom,
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  };
  const server = createForwardingServer(handler, parseTrustedProxies(undefined));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function post(
  url: string,
  body: string,
  opts: { localAddress: string; headers: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: opts.localAddress,
        headers: { 'content-type': 'application/json', ...opts.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A browser at `from` signing in through the web server, sending a forged X-Forwarded-For. */
async function browserSignIn(
  web: Web,
  from: string,
  input: { email: string; password: string },
  forgedForwardedFor: string,
): Promise<string> {
  const res = await post(`http://127.0.0.1:${web.port}/`, JSON.stringify(input), {
    localAddress: from,
    headers: { 'x-forwarded-for': forgedForwardedFor },
  });
  const parsed = JSON.parse(res.body) as { result?: unknown; error?: { data?: { appCode?: string } } };
  return parsed.error ? String(parsed.error.data?.appCode) : 'OK';
}

describe('client addresses: the engine counts the browser, not the dashboard, and not a header', () => {
  it('local layout (browser, web and engine on loopback, the engine trusting loopback)', async () => {
    const t = await startTestEngine({ redisUrl: process.env.REDIS_URL });
    const web = await startWeb(t.url, '127.0.0.1', '127.0.0.1');
    try {
      const victim = await t.signUp('local');
      const codes: string[] = [];
      // Rotating the forged header buys nothing: every attempt counts against the browser's address.
      for (let i = 0; i < PER_ACCOUNT + 2; i++) {
        codes.push(
          await browserSignIn(
            web,
            '127.0.0.1',
            { email: victim.user.email, password: 'wrong-password' },
            `203.0.113.${i + 1}`,
          ),
        );
      }
      expect(codes.slice(0, PER_ACCOUNT).every((c) => c === 'AUTH_INVALID_CREDENTIALS')).toBe(true);
      expect(codes.slice(PER_ACCOUNT)).toEqual(['AUTH_TOO_MANY_ATTEMPTS', 'AUTH_TOO_MANY_ATTEMPTS']);
    } finally {
      web.server.close();
      await t.stop();
    }
  }, 60_000);

  it("compose-like layout (the engine trusts only the web server's address): forged headers do not help, and each browser has its own budget", async () => {
    // The web server reaches the engine from 127.0.0.10, its "container address"; browsers are 127.0.0.2
    // (attacker) and 127.0.0.3 (victim).
    const t = await startTestEngine({ redisUrl: process.env.REDIS_URL, trustedProxies: ['127.0.0.10'] });
    const web = await startWeb(t.url, '127.0.0.10', '127.0.0.1');
    try {
      const victim = await t.signUp('compose');
      const attack = (i: number) =>
        browserSignIn(
          web,
          '127.0.0.2',
          { email: victim.user.email, password: `wrong-password-${i}` },
          `203.0.113.${i + 1}`,
        );
      const codes: string[] = [];
      for (let i = 0; i < PER_ACCOUNT + 2; i++) codes.push(await attack(i));
      expect(count(codes, 'AUTH_INVALID_CREDENTIALS')).toBe(PER_ACCOUNT);
      expect(codes.slice(PER_ACCOUNT)).toEqual(['AUTH_TOO_MANY_ATTEMPTS', 'AUTH_TOO_MANY_ATTEMPTS']);

      // The attacker's ten bad passwords do not lock the victim out: another browser, another budget.
      expect(
        await browserSignIn(
          web,
          '127.0.0.3',
          { email: victim.user.email, password: victim.password },
          '127.0.0.2',
        ),
      ).toBe('OK');
      // Nor does going around the dashboard straight to the engine with a forged header: the engine
      // believes X-Forwarded-For only from the web server's address.
      const direct = await post(
        `${t.url}/auth.signIn`,
        JSON.stringify({ email: victim.user.email, password: 'wrong-password' }),
        { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.99' } },
      );
      expect(direct.body).toContain('AUTH_TOO_MANY_ATTEMPTS');
    } finally {
      web.server.close();
      await t.stop();
    }
  }, 60_000);
});
