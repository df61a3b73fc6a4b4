import { linkIn, startTestSmtpServer, type TestSmtpServer, waitForOutboxMail } from '@qt/notify/testing';
import type { Clock } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, errorShapeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

// Email verification and password reset against a real SMTP server (smtp-server, in process): what
// arrives, at whom, and whether its link works. Sign-up must not tell anyone whether an address has an
// account (issue 9, finding 13), and must be throttled (finding 5).

const WEB = 'http://web.test:3000';
let smtp: TestSmtpServer;
let t: TestEngine;
// The engine's clock, movable forward to expire links.
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs };

beforeAll(async () => {
  smtp = await startTestSmtpServer({ auth: { user: 'qt-mailer', pass: 'mail pass' } });
  t = await startTestEngine(
    {
      smtpUrl: smtp.url,
      mailFrom: 'Quant-Trader <accounts@qt.test>',
      webPublicUrl: WEB,
      // This file signs up many people from one address; the throttles have their own engines below.
      signUpLimitPerIp: 1_000,
      signUpLimitGlobal: 1_000,
    },
    clock,
  );
});
afterAll(async () => {
  await t?.stop();
  await smtp?.close();
});

let n = 0;
const freshEmail = (name: string) => `${name}-${++n}-${Date.now().toString(36)}@example.test`;
const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';

/** Waits for the newest email to `to` received after `after` messages, and checks sender and subject. */
async function mailTo(to: string, subject: RegExp, after = 0) {
  const mail = await smtp.waitFor(to, { after });
  expect(mail.user).toBe('qt-mailer');
  expect(mail.mailFrom).toBe('accounts@qt.test');
  expect(mail.parsed.subject).toMatch(subject);
  return mail;
}

/** Signs up through the API, opens the emailed link, and returns the verified person's credentials. */
async function signUpVerified(name: string) {
  const email = freshEmail(name);
  const password = `pw-${name}-long-enough`;
  await t.client().auth.signUp.mutate({ email, password });
  const link = linkIn((await mailTo(email, /confirm your email/i)).parsed);
  await t.client().auth.verifyEmail.mutate({ token: tokenOf(link) });
  return { email, password };
}

describe('sign-up and email verification', () => {
  it('emails a single-use verification link to the web app; the person can sign in only after opening it', async () => {
    const email = freshEmail('ada');
    const password = 'correct horse battery';
    expect(await t.client().auth.signUp.mutate({ email, password, name: 'Ada' })).toEqual({
      status: 'verification_sent',
    });

    const mail = await mailTo(email, /^Confirm your email for Quant-Trader$/);
    expect(mail.rcptTo).toEqual([email]);
    const link = linkIn(mail.parsed);
    expect(link.startsWith(`${WEB}/verify-email?token=`)).toBe(true);
    expect(mail.parsed.html).toContain(link);
    // Only the token's hash is stored.
    const stored = await t.engine.api.db.accountToken.findMany({ where: { user: { email } } });
    expect(stored).toHaveLength(1);
    expect(Buffer.from(stored[0]?.hash ?? []).toString('base64url')).not.toBe(tokenOf(link));

    // Unverified: the right password says so; a wrong one says only "wrong email or password".
    expect(await appCodeOf(t.client().auth.signIn.mutate({ email, password }))).toBe(
      'ACCOUNT_EMAIL_NOT_VERIFIED',
    );
    expect(await appCodeOf(t.client().auth.signIn.mutate({ email, password: 'not the password' }))).toBe(
      'AUTH_INVALID_CREDENTIALS',
    );

    expect(await t.client().auth.verifyEmail.mutate({ token: tokenOf(link) })).toEqual({
      status: 'email_verified',
    });
    const signed = await t.client().auth.signIn.mutate({ email, password });
    expect(signed.user.email).toBe(email);
    expect(signed.role).toBe('OWNER');
    expect(signed.tenant.tier).toBe('FREE');

    // Single use.
    expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: tokenOf(link) }))).toBe(
      'ACCOUNT_TOKEN_INVALID',
    );
  });

  it('answers a sign-up for a taken address exactly like one for a new address; the owner is told, nothing changes', async () => {
    const owner = await signUpVerified('owner');
    const before = smtp.received.length;
    const taken = await errorShapeOrResult(
      t.client().auth.signUp.mutate({ email: owner.email, password: 'attacker-password' }),
    );
    const fresh = await errorShapeOrResult(
      t.client().auth.signUp.mutate({ email: freshEmail('new'), password: 'attacker-password' }),
    );
    expect(taken).toEqual(fresh);
    expect(taken).toEqual({ ok: { status: 'verification_sent' } });

    await t.engine.api.accounts.idle();
    const notice = await mailTo(owner.email, /sign-up attempt/i, before);
    expect(notice.parsed.text).toContain(`${WEB}/signin`);
    expect(notice.parsed.text).toContain(`${WEB}/reset-password`);
    expect(await t.engine.api.db.user.count({ where: { email: owner.email } })).toBe(1);
    // The old password still works; the one in the second sign-up does not.
    await t.client().auth.signIn.mutate(owner);
    expect(
      await appCodeOf(t.client().auth.signIn.mutate({ email: owner.email, password: 'attacker-password' })),
    ).toBe('AUTH_INVALID_CREDENTIALS');
  });

  it('refuses an unknown, a malformed and an expired verification token with one typed error', async () => {
    expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: 'A'.repeat(43) }))).toBe(
      'ACCOUNT_TOKEN_INVALID',
    );
    expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: 'short' }))).toBe('VALIDATION_FAILED');

    const email = freshEmail('late');
    await t.client().auth.signUp.mutate({ email, password: 'late-password' });
    const link = linkIn((await mailTo(email, /confirm your email/i)).parsed);
    offsetMs = 24 * 3_600_000 + 60_000;
    try {
      expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: tokenOf(link) }))).toBe(
        'ACCOUNT_TOKEN_INVALID',
      );
    } finally {
      offsetMs = 0;
    }
  });

  it('resends a link only to an unverified account, answering the same for every address; only the newest link works', async () => {
    const verified = await signUpVerified('done');
    const email = freshEmail('pending');
    await t.client().auth.signUp.mutate({ email, password: 'pending-password' });
    const first = linkIn((await mailTo(email, /confirm your email/i)).parsed);
    const before = smtp.received.length;

    const answers = await Promise.all(
      [email, verified.email, freshEmail('nobody')].map((e) =>
        errorShapeOrResult(t.client().auth.resendVerification.mutate({ email: e })),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual({ ok: { status: 'email_sent' } });
    await t.engine.api.accounts.idle();
    expect(smtp.received.slice(before).map((m) => m.rcptTo[0])).toEqual([email]);

    const second = linkIn((await mailTo(email, /confirm your email/i, before)).parsed);
    expect(second).not.toBe(first);
    expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: tokenOf(first) }))).toBe(
      'ACCOUNT_TOKEN_INVALID',
    );
    await t.client().auth.verifyEmail.mutate({ token: tokenOf(second) });
    await t.client().auth.signIn.mutate({ email, password: 'pending-password' });
  });

  it('lets a new sign-up replace an unconfirmed one: its password counts, the earlier link is void', async () => {
    const email = freshEmail('squatted');
    await t.client().auth.signUp.mutate({ email, password: 'squatter-password' });
    const squatterLink = linkIn((await mailTo(email, /confirm your email/i)).parsed);
    const before = smtp.received.length;
    await t.client().auth.signUp.mutate({ email, password: 'owner-password' });
    const ownerLink = linkIn((await mailTo(email, /confirm your email/i, before)).parsed);

    expect(await appCodeOf(t.client().auth.verifyEmail.mutate({ token: tokenOf(squatterLink) }))).toBe(
      'ACCOUNT_TOKEN_INVALID',
    );
    await t.client().auth.verifyEmail.mutate({ token: tokenOf(ownerLink) });
    await t.client().auth.signIn.mutate({ email, password: 'owner-password' });
    expect(await appCodeOf(t.client().auth.signIn.mutate({ email, password: 'squatter-password' }))).toBe(
      'AUTH_INVALID_CREDENTIALS',
    );
    expect(await t.engine.api.db.user.count({ where: { email } })).toBe(1);
  });
});

describe('password reset', () => {
  it('emails a link only for a known address, same answer either way; the link sets the password once', async () => {
    const person = await signUpVerified('forgetful');
    // Whoever knew the old password may be signed in: the reset ends the person's sessions.
    const signedBefore = await t.client().auth.signIn.mutate(person);
    const oldSession = await t.sessionToken(signedBefore.user.id, signedBefore.tenant.id);
    expect((await t.client(oldSession).accounts.me.query()).user?.email).toBe(person.email);
    const before = smtp.received.length;
    const known = await errorShapeOrResult(
      t.client().auth.requestPasswordReset.mutate({ email: person.email }),
    );
    const unknown = await errorShapeOrResult(
      t.client().auth.requestPasswordReset.mutate({ email: freshEmail('stranger') }),
    );
    expect(known).toEqual(unknown);
    expect(known).toEqual({ ok: { status: 'email_sent' } });
    await t.engine.api.accounts.idle();
    expect(smtp.received.slice(before).map((m) => m.rcptTo[0])).toEqual([person.email]);

    const link = linkIn((await mailTo(person.email, /^Reset your Quant-Trader password$/, before)).parsed);
    expect(link.startsWith(`${WEB}/reset-password?token=`)).toBe(true);
    expect(
      await t.client().auth.resetPassword.mutate({ token: tokenOf(link), password: 'brand new password' }),
    ).toEqual({ status: 'password_reset' });
    expect(await appCodeOf(t.client(oldSession).accounts.me.query())).toBe('AUTH_SESSION_REVOKED');
    await t.client().auth.signIn.mutate({ email: person.email, password: 'brand new password' });
    expect(await appCodeOf(t.client().auth.signIn.mutate(person))).toBe('AUTH_INVALID_CREDENTIALS');
    expect(
      await appCodeOf(
        t.client().auth.resetPassword.mutate({ token: tokenOf(link), password: 'third password' }),
      ),
    ).toBe('ACCOUNT_TOKEN_INVALID');
  });

  it('refuses a reset link after its hour, and a verification token used as a reset token', async () => {
    const person = await signUpVerified('slow');
    const before = smtp.received.length;
    await t.client().auth.requestPasswordReset.mutate({ email: person.email });
    const link = linkIn((await mailTo(person.email, /reset your/i, before)).parsed);
    offsetMs = 61 * 60_000;
    try {
      expect(
        await appCodeOf(
          t.client().auth.resetPassword.mutate({ token: tokenOf(link), password: 'too late pw' }),
        ),
      ).toBe('ACCOUNT_TOKEN_INVALID');
    } finally {
      offsetMs = 0;
    }
    const email = freshEmail('wrong-kind');
    await t.client().auth.signUp.mutate({ email, password: 'wrong-kind-pw' });
    const verifyLink = linkIn((await mailTo(email, /confirm your email/i)).parsed);
    expect(
      await appCodeOf(
        t.client().auth.resetPassword.mutate({ token: tokenOf(verifyLink), password: 'hijack pw!' }),
      ),
    ).toBe('ACCOUNT_TOKEN_INVALID');
    await t.client().auth.signIn.mutate(person);
  });
});

describe('sign-up throttles', () => {
  it('lets 5 of 40 concurrent sign-ups from one address through; the rest are RATE_LIMITED and create nothing', async () => {
    const e = await startTestEngine({ signUpLimitPerIp: 5, signUpLimitGlobal: 1_000 });
    try {
      const emails = Array.from(
        { length: 40 },
        (_, i) => `burst-${i}-${Date.now().toString(36)}@example.test`,
      );
      const results = await Promise.all(
        emails.map((email) =>
          errorShapeOrResult(e.client().auth.signUp.mutate({ email, password: 'burst-password' })),
        ),
      );
      const ok = results.filter((r) => 'ok' in r);
      expect(ok).toHaveLength(5);
      const refused = results.filter((r) => 'error' in r) as { error: { data: { appCode: string } } }[];
      expect(refused.every((r) => r.error.data.appCode === 'RATE_LIMITED')).toBe(true);
      // Accounts are created by the mail queue's jobs, off the request path.
      await e.engine.api.accounts.idle();
      expect(await e.engine.api.db.user.count({ where: { email: { in: emails } } })).toBe(5);
      // No SMTP configured: the links are in the outbox folder, one file each.
      const created = await e.engine.api.db.user.findFirstOrThrow({ where: { email: { in: emails } } });
      const mail = await waitForOutboxMail(e.outboxDir, created.email);
      expect(linkIn(mail)).toMatch(/^http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}$/);
    } finally {
      await e.stop();
    }
  });

  it('caps sign-ups across all addresses', async () => {
    const e = await startTestEngine({ signUpLimitPerIp: 1_000, signUpLimitGlobal: 8 });
    try {
      const emails = Array.from(
        { length: 30 },
        (_, i) => `global-${i}-${Date.now().toString(36)}@example.test`,
      );
      const results = await Promise.all(
        emails.map((email) =>
          errorShapeOrResult(e.client().auth.signUp.mutate({ email, password: 'burst-password' })),
        ),
      );
      expect(results.filter((r) => 'ok' in r)).toHaveLength(8);
      await e.engine.api.accounts.idle();
      expect(await e.engine.api.db.user.count({ where: { email: { in: emails } } })).toBe(8);
    } finally {
      await e.stop();
    }
  });
});

describe('no per-address work on the request path (enumeration by timing)', () => {
  it('answers sign-up, resend and reset requests while the link table is locked: lookups and link writes wait in the mail queue', async () => {
    const known = await signUpVerified('timing-known');
    const pending = freshEmail('timing-pending');
    await t.client().auth.signUp.mutate({ email: pending, password: 'pending-password' });
    await mailTo(pending, /confirm your email/i);
    await t.engine.api.accounts.idle();
    const before = smtp.received.length;

    // Hold an exclusive lock on account_tokens: any request that writes (or reads) a link now waits.
    let unlock = () => {};
    const release = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    let locked = () => {};
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const lock = t.engine.api.db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe('LOCK TABLE account_tokens IN ACCESS EXCLUSIVE MODE');
        locked();
        await release;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    await holding;
    const newcomer = freshEmail('timing-new');
    const client = t.client(null, { 'x-forwarded-for': '198.51.100.120' });
    try {
      const requests = Promise.all([
        client.auth.requestPasswordReset.mutate({ email: known.email }),
        client.auth.requestPasswordReset.mutate({ email: freshEmail('timing-nobody') }),
        client.auth.resendVerification.mutate({ email: pending }),
        client.auth.signUp.mutate({ email: newcomer, password: 'newcomer-password' }),
        client.auth.signUp.mutate({ email: known.email, password: 'attacker-password' }),
      ]);
      // A generous bound: before, the known and new addresses' requests waited for the lock itself.
      const answered = await Promise.race([
        requests.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000)),
      ]);
      expect(answered).toBe(true);
    } finally {
      unlock();
      await lock;
    }
    // The work happens once the table is free: the person with an account gets the reset link and the
    // sign-up notice, the pending one a fresh link, the newcomer an account and a link.
    await mailTo(known.email, /reset your/i, before);
    await mailTo(pending, /confirm your email/i, before);
    await mailTo(newcomer, /confirm your email/i, before);
    await t.engine.api.accounts.idle();
    expect(await t.engine.api.db.user.count({ where: { email: newcomer } })).toBe(1);
  }, 60_000);
});

describe('per-recipient mail budget', () => {
  it('one address cannot use up the emails of someone else: the budget is per (recipient, address), under a ceiling', async () => {
    const victim = await signUpVerified('victim-mail');
    await t.engine.api.accounts.idle();
    const before = smtp.received.length;
    const attacker = t.client(null, { 'x-forwarded-for': '198.51.100.130' });
    for (let i = 0; i < 6; i++) await attacker.auth.requestPasswordReset.mutate({ email: victim.email });
    await t.engine.api.accounts.idle();
    const sent = () => smtp.received.slice(before).filter((m) => m.rcptTo[0] === victim.email).length;
    // Five from the attacker's address, then nothing more for it.
    expect(sent()).toBe(5);

    // The victim, from their own address, still gets a working link.
    const own = t.client(null, { 'x-forwarded-for': '198.51.100.131' });
    await own.auth.requestPasswordReset.mutate({ email: victim.email });
    await t.engine.api.accounts.idle();
    expect(sent()).toBe(6);
    const link = linkIn((await mailTo(victim.email, /reset your/i, smtp.received.length - 1)).parsed);
    await t.client().auth.resetPassword.mutate({ token: tokenOf(link), password: 'victim new password' });
    await t.client().auth.signIn.mutate({ email: victim.email, password: 'victim new password' });
  }, 60_000);
});

describe('sign-up throttle order', () => {
  it('a request refused for its address spends nothing of the global budget: one address cannot block all sign-ups', async () => {
    const e = await startTestEngine({ signUpLimitPerIp: 5, signUpLimitGlobal: 8 });
    try {
      const signUp = (address: string, i: number) =>
        errorShapeOrResult(
          e.client(null, { 'x-forwarded-for': address }).auth.signUp.mutate({
            email: `order-${address}-${i}-${Date.now().toString(36)}@example.test`,
            password: 'order-password',
          }),
        );
      const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => signUp('198.51.100.140', i)));
      expect(flood.filter((r) => 'ok' in r)).toHaveLength(5);
      // The global budget (8) still has 3 for everyone else.
      const others = [];
      for (let i = 0; i < 4; i++) others.push(await signUp(`198.51.100.${150 + i}`, i));
      expect(others.slice(0, 3).every((r) => 'ok' in r)).toBe(true);
      expect(others[3]).toMatchObject({ error: { data: { appCode: 'RATE_LIMITED' } } });
    } finally {
      await e.stop();
    }
  }, 60_000);
});

/** A call's outcome as the caller sees it, success or error, for comparing shapes. */
async function errorShapeOrResult(call: Promise<unknown>): Promise<{ ok: unknown } | { error: unknown }> {
  try {
    return { ok: await call };
  } catch {
    return { error: await errorShapeOf(call) };
  }
}
