import { signSessionToken } from '@qt/api/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(() => t?.stop());

describe('sign up and sign in', () => {
  it('creates a person with their own FREE tenant as OWNER and signs them in with the password', async () => {
    const alice = await t.signUp('alice');
    expect(alice.role).toBe('OWNER');
    expect(alice.tenant.tier).toBe('FREE');
    const signed = await t
      .client()
      .auth.signIn.mutate({ email: alice.user.email.toUpperCase(), password: alice.password });
    expect(signed.user.id).toBe(alice.user.id);
    expect(signed.tenant.id).toBe(alice.tenant.id);
  });

  it('gives the same error for a wrong password and an unknown email', async () => {
    const bob = await t.signUp('bob');
    expect(
      await appCodeOf(t.client().auth.signIn.mutate({ email: bob.user.email, password: 'wrong-password' })),
    ).toBe('AUTH_INVALID_CREDENTIALS');
    expect(
      await appCodeOf(t.client().auth.signIn.mutate({ email: 'nobody@example.test', password: 'whatever1' })),
    ).toBe('AUTH_INVALID_CREDENTIALS');
  });

  it('answers a sign-up with a taken email exactly as a new one, and creates no second account', async () => {
    const carol = await t.signUp('carol');
    const again = await t
      .client()
      .auth.signUp.mutate({ email: carol.user.email, password: 'another-password' });
    expect(again).toEqual({ status: 'verification_sent' });
    expect(await t.engine.api.db.user.count({ where: { email: carol.user.email } })).toBe(1);
  });

  it.each([
    ['tenantId', { tenantId: '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b' }],
    ['tier', { tier: 'ENTERPRISE' }],
    ['role', { role: 'OWNER' }],
  ])('rejects sign-up input that tries to set %s', async (_field, extra) => {
    const input = { email: `strict-${Math.random()}@example.test`, password: 'long-enough-pw', ...extra };
    // Deliberately sending what the types forbid.
    expect(await appCodeOf(t.client().auth.signUp.mutate(input as never))).toBe('VALIDATION_FAILED');
  });

  it('explains which field is wrong', async () => {
    try {
      await t.client().auth.signUp.mutate({ email: 'not-an-email', password: 'short' });
      expect.unreachable();
    } catch (err) {
      const data = (err as { data: { issues: { path: string[] }[] } }).data;
      expect(data.issues.map((i) => i.path[0]).sort()).toEqual(['email', 'password']);
    }
  });

  it('rate-limits repeated failed sign-ins for one email from one address', async () => {
    const dave = await t.signUp('dave');
    const attempt = () =>
      t.client().auth.signIn.mutate({ email: dave.user.email, password: 'wrong-password' });
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) codes.push(await appCodeOf(attempt()));
    expect(codes.slice(0, 10).every((c) => c === 'AUTH_INVALID_CREDENTIALS')).toBe(true);
    expect(codes.at(-1)).toBe('AUTH_TOO_MANY_ATTEMPTS');
    // Even the right password is refused while blocked: the limiter is checked before the password.
    expect(
      await appCodeOf(t.client().auth.signIn.mutate({ email: dave.user.email, password: dave.password })),
    ).toBe('AUTH_TOO_MANY_ATTEMPTS');
  });

  it('refuses calls without a credential, with a tampered session token, and for a deleted membership', async () => {
    expect(await appCodeOf(t.client().accounts.me.query())).toBe('AUTH_REQUIRED');
    const erin = await t.signUp('erin');
    expect(await appCodeOf(t.client(`${erin.token}x`).accounts.me.query())).toBe('AUTH_REQUIRED');
    await t.engine.api.db.membership.deleteMany({ where: { userId: erin.user.id } });
    expect(await appCodeOf(t.client(erin.token).accounts.me.query())).toBe('AUTH_REQUIRED');
  });
});

describe('sign-out ends the web session, not only its tokens so far', () => {
  it('refuses a token minted after a sign-out for a web session that began before it; a new sign-in works', async () => {
    const frank = await t.signUp('frank');
    const mint = (signedInAt: number) =>
      signSessionToken(
        { userId: frank.user.id, tenantId: frank.tenant.id, sessionStartedAt: signedInAt },
        t.sessionSecret,
        Date.now(),
      );
    const signedInAt = Date.now();
    const before = await mint(signedInAt);
    expect((await t.client(before).accounts.me.query()).user?.id).toBe(frank.user.id);

    const { revokedAt } = await t.client(before).auth.signOut.mutate();
    // What a stolen session cookie does next: ask the web server for a fresh token. Its issue time is
    // after the sign-out, but its session began before it.
    const fresh = await mint(signedInAt);
    expect(await appCodeOf(t.client(fresh).accounts.me.query())).toBe('AUTH_SESSION_REVOKED');

    // A session that began after the sign-out is a new sign-in.
    while (Date.now() <= revokedAt) await new Promise((r) => setImmediate(r));
    const again = await mint(Date.now());
    expect((await t.client(again).accounts.me.query()).user?.id).toBe(frank.user.id);
  });
});
