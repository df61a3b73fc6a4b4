import { verifySessionToken } from '@qt/api/session';
import { describe, expect, it } from 'vitest';
import { mintEngineToken } from './mint-engine-token';

const secret = 's'.repeat(40);

describe('mintEngineToken', () => {
  it('dates the token by the web session, not by when it was minted', async () => {
    const signedInAt = Date.UTC(2030, 0, 1, 8);
    const now = signedInAt + 6 * 3_600_000;
    const minted = await mintEngineToken({ userId: 'u1', tenantId: 't1', signedInAt }, secret, now);
    const claims = await verifySessionToken(minted.token, secret, now + 1_000);
    expect(claims).toMatchObject({
      userId: 'u1',
      tenantId: 't1',
      issuedAt: now,
      sessionStartedAt: signedInAt,
    });
    expect(minted.expiresAtMs).toBe(claims.expiresAt);
  });
});
