import { describe, expect, it } from 'vitest';
import { signSessionToken, verifySessionToken } from '../src/auth/session-token.ts';

const secret = 'x'.repeat(40);
const claims = {
  userId: '5d3c2a4e-4c36-4d8e-9d8a-1b2c3d4e5f60',
  tenantId: '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
};
const t0 = Date.UTC(2026, 0, 1);

describe('session tokens', () => {
  it('round-trips the claims while valid', async () => {
    const token = await signSessionToken(claims, secret, t0);
    await expect(verifySessionToken(token, secret, t0 + 60_000)).resolves.toEqual({
      ...claims,
      expiresAt: t0 + 15 * 60_000,
      issuedAt: t0,
      sessionStartedAt: t0,
    });
  });

  it('carries when the web session began, which a later-minted token keeps; a start after the issue time is not believed', async () => {
    const signedInAt = t0 - 3_600_000;
    const token = await signSessionToken({ ...claims, sessionStartedAt: signedInAt }, secret, t0);
    await expect(verifySessionToken(token, secret, t0 + 1_000)).resolves.toMatchObject({
      issuedAt: t0,
      sessionStartedAt: signedInAt,
    });
    const future = await signSessionToken({ ...claims, sessionStartedAt: t0 + 60_000 }, secret, t0);
    await expect(verifySessionToken(future, secret, t0 + 1_000)).resolves.toMatchObject({
      sessionStartedAt: t0,
    });
  });

  it('keeps the issue time to the millisecond, so a sign-out and a new sign-in in one second differ', async () => {
    const token = await signSessionToken(claims, secret, t0 + 737);
    await expect(verifySessionToken(token, secret, t0 + 1_000)).resolves.toMatchObject({
      issuedAt: t0 + 737,
    });
  });

  it('accepts an expired token only when told to ignore expiry (re-checking a live connection)', async () => {
    const token = await signSessionToken(claims, secret, t0, 60);
    await expect(
      verifySessionToken(token, secret, t0 + 3_600_000, { ignoreExpiry: true }),
    ).resolves.toMatchObject(claims);
    await expect(
      verifySessionToken(token, 'y'.repeat(40), t0 + 3_600_000, { ignoreExpiry: true }),
    ).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('reports an expired token as AUTH_SESSION_EXPIRED', async () => {
    const token = await signSessionToken(claims, secret, t0, 60);
    await expect(verifySessionToken(token, secret, t0 + 61_000)).rejects.toMatchObject({
      code: 'AUTH_SESSION_EXPIRED',
    });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signSessionToken(claims, 'y'.repeat(40), t0);
    await expect(verifySessionToken(token, secret, t0)).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('refuses an unsigned (alg none) token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'none' })}.${b64({ sub: claims.userId, tid: claims.tenantId, aud: 'quant-trader-engine', iss: 'quant-trader-web', exp: t0 / 1000 + 600 })}.`;
    await expect(verifySessionToken(forged, secret, t0)).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('refuses a secret shorter than 32 characters', async () => {
    await expect(signSessionToken(claims, 'short', t0)).rejects.toThrow(/32/);
  });
});
