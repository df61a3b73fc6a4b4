import { type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signSessionToken } from '@qt/api/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForwardingServer, parseTrustedProxies } from '../../../web/client-address.mjs';
import { forwardedForEngine } from '../../../web/src/engine/forwarded-for.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

// The engine's limits (apps/engine/src/engine.ts): failed sign-ins 10 per IP + email and 100 per IP per
// 15 min, 50 per email per hour from all addresses; failed credentials (API keys, session tokens) 30 per
// IP per minute. An IPv6 client is its /64.
const PER_ACCOUNT = 10;
const PER_IP = 100;
const PER_EMAIL = 50;
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

  it('150 concurrent password guesses on one account: exactly the limit are evaluated, and then the right password does not get in', async () => {
    const victim = await t.signUp('victim');
    const other = await t.signUp('other');
    // One address for the attacker (the engine trusts the test's loopback peer as a proxy).
    const client = t.client(null, { 'x-forwarded-for': '198.51.100.10' });
    const guess = (email: string, password: string) =>
      outcome(client.auth.signIn.mutate({ email, password }));

    // Each call is its own HTTP request, all in flight at once.
    await warmConnections(t, 150);
    const codes = await Promise.all(
      Array.from({ length: 150 }, (_, i) => guess(victim.user.email, `wrong-password-${i}`)),
    );
    // The evaluated attempts answered "wrong password"; all others were refused before any hashing.
    expect(count(codes, 'AUTH_INVALID_CREDENTIALS')).toBe(PER_ACCOUNT);
    expect(count(codes, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(codes.length - PER_ACCOUNT);
    // The budget is provably spent now: the right password is refused too.
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

  it('150 concurrent API-key guesses: exactly the limit are evaluated, then even a good key is refused; a good key in a burst is not counted', async () => {
    const owner = await t.signUp('keys');
    const { secret: key } = await t
      .client(owner.token)
      .apiKeys.create.mutate({ name: 'bot', scopes: ['read'] });

    const from = (k: string, address: string) => t.client(k, { 'x-forwarded-for': address });
    await warmConnections(t, 150);
    const codes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        outcome(
          from(`qt_${String(i).padStart(12, 'A')}_${'b'.repeat(32)}`, '198.51.100.30').accounts.me.query(),
        ),
      ),
    );
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

  it('many different good credentials checked at once from one address (a busy office after a sign-out) block nobody', async () => {
    const person = await t.signUp('office');
    // 80 distinct, valid session tokens (each minted at another millisecond), far more than the 30
    // failures the address may have: all are cache misses, all checked at once.
    const now = Date.now();
    const tokens = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        signSessionToken({ userId: person.user.id, tenantId: person.tenant.id }, t.sessionSecret, now - i),
      ),
    );
    expect(new Set(tokens).size).toBe(80);
    const address = '198.51.100.40';
    await warmConnections(t, 80);
    const codes = await Promise.all(
      tokens.map((token) => outcome(t.client(token, { 'x-forwarded-for': address }).accounts.me.query())),
    );
    expect(count(codes, 'OK')).toBe(80);
    // The address is not blocked: a bad key from it is judged (not refused unseen), a good one passes.
    const bad = `qt_${'Z'.repeat(12)}_${'c'.repeat(32)}`;
    expect(await outcome(t.client(bad, { 'x-forwarded-for': address }).accounts.me.query())).toBe(
      'AUTH_API_KEY_INVALID',
    );
    expect(await outcome(t.client(tokens[0], { 'x-forwarded-for': address }).accounts.me.query())).toBe('OK');
  }, 60_000);

  it('counts every address of one IPv6 /64 as one client', async () => {
    const victim = await t.signUp('v6');
    // Twelve addresses, one /64: one budget of 10 for this account.
    const codes: string[] = [];
    for (let i = 1; i <= PER_ACCOUNT + 2; i++) {
      const client = t.client(null, { 'x-forwarded-for': `2001:db8:5:6::${i.toString(16)}` });
      codes.push(
        await outcome(client.auth.signIn.mutate({ email: victim.user.email, password: `wrong-${i}` })),
      );
    }
    expect(codes.slice(0, PER_ACCOUNT).every((c) => c === 'AUTH_INVALID_CREDENTIALS')).toBe(true);
    expect(codes.slice(PER_ACCOUNT)).toEqual(['AUTH_TOO_MANY_ATTEMPTS', 'AUTH_TOO_MANY_ATTEMPTS']);
    // Another /64 is another client.
    const next = t.client(null, { 'x-forwarded-for': '2001:db8:5:7::1' });
    expect(
      await outcome(next.auth.signIn.mutate({ email: victim.user.email, password: victim.password })),
    ).toBe('OK');

    // Same for credentials: 31 bad keys from 31 addresses of one /64 leave it blocked.
    const keys = await Promise.all(
      Array.from({ length: PER_IP_CREDENTIALS + 1 }, (_, i) =>
        outcome(
          t
            .client(`qt_${String(i).padStart(12, 'V')}_${'d'.repeat(32)}`, {
              'x-forwarded-for': `2001:db8:9:9:${(i + 1).toString(16)}::1`,
            })
            .accounts.me.query(),
        ),
      ),
    );
    expect(count(keys, 'AUTH_API_KEY_INVALID')).toBe(PER_IP_CREDENTIALS);
    expect(count(keys, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(1);
  }, 60_000);

  it('limits failures per email across all addresses (guessing spread over many clients)', async () => {
    const victim = await t.signUp('spread');
    // Six addresses, ten wrong passwords each (each address's own per-account budget): 60 guesses, of
    // which the email's budget lets exactly 50 be judged.
    const rounds = await Promise.all(
      Array.from({ length: 6 }, (_, a) => {
        const client = t.client(null, { 'x-forwarded-for': `198.51.100.${60 + a}` });
        return Promise.all(
          Array.from({ length: PER_ACCOUNT }, (_, i) =>
            outcome(client.auth.signIn.mutate({ email: victim.user.email, password: `wrong-${a}-${i}` })),
          ),
        );
      }),
    );
    const codes = rounds.flat();
    expect(count(codes, 'AUTH_INVALID_CREDENTIALS')).toBe(PER_EMAIL);
    expect(count(codes, 'AUTH_TOO_MANY_ATTEMPTS')).toBe(codes.length - PER_EMAIL);
    // From a seventh address, even the right password waits until the email's hour is over.
    const fresh = t.client(null, { 'x-forwarded-for': '198.51.100.70' });
    expect(
      await outcome(fresh.auth.signIn.mutate({ email: victim.user.email, password: victim.password })),
    ).toBe('AUTH_TOO_MANY_ATTEMPTS');
  }, 120_000); // 50 argon2 verifications
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
