import { randomUUID } from 'node:crypto';
import type { Role } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(() => t?.stop());

/** A person with a membership of `tenantId` in `role`, made directly in the database (not through sign-up). */
async function member(role: Role, tenantId: string) {
  const db = t.engine.api.db;
  const user = await db.user.create({
    data: { email: `${randomUUID()}@example.test`, passwordHash: 'unused', emailVerifiedAt: new Date() },
  });
  await db.membership.create({ data: { userId: user.id, tenantId, role } });
  return t.sessionToken(user.id, tenantId);
}

/**
 * The seller's payouts status and sales figures (revenue, Stripe balance, transactions) are the tenant's
 * money: like tenant settings, only a `manage` caller (ADMIN and up, or a key with `manage`) sees them.
 */
describe('marketplace seller views by role and scope', () => {
  let owner: Awaited<ReturnType<TestEngine['signUp']>>;
  beforeAll(async () => {
    owner = await t.signUp('seller-owner');
  });

  it('answers the owner (and an admin) with the tenant’s figures', async () => {
    const status = await t.client(owner.token).marketplace.sellerStatus.query();
    expect(status).toMatchObject({ onboarded: false, chargesEnabled: false, payoutsEnabled: false });
    const dashboard = await t.client(owner.token).marketplace.sellerDashboard.query();
    expect(dashboard).toMatchObject({ subscribers: 0, mrrCents: 0, netCents: 0, listings: [] });
    const admin = await member('ADMIN', owner.tenant.id);
    await expect(t.client(admin).marketplace.sellerStatus.query()).resolves.toEqual(status);
  });

  it.each(['VIEWER', 'TRADER'] as const)('refuses a %s member with AUTH_FORBIDDEN_ROLE', async (role) => {
    const token = await member(role, owner.tenant.id);
    // The member is signed in and may read the tenant (so the refusal is the role, not the session).
    await expect(t.client(token).accounts.me.query()).resolves.toMatchObject({
      tenant: { id: owner.tenant.id },
    });
    expect(await appCodeOf(t.client(token).marketplace.sellerStatus.query())).toBe('AUTH_FORBIDDEN_ROLE');
    expect(await appCodeOf(t.client(token).marketplace.sellerDashboard.query())).toBe('AUTH_FORBIDDEN_ROLE');
  });

  it('refuses a read-only (or trade) API key with AUTH_FORBIDDEN_SCOPE, and answers a manage key', async () => {
    const c = t.client(owner.token);
    for (const scopes of [['read'], ['read', 'trade']] as const) {
      const { secret } = await c.apiKeys.create.mutate({ name: scopes.join('-'), scopes: [...scopes] });
      expect(await appCodeOf(t.client(secret).marketplace.sellerStatus.query())).toBe('AUTH_FORBIDDEN_SCOPE');
      expect(await appCodeOf(t.client(secret).marketplace.sellerDashboard.query())).toBe(
        'AUTH_FORBIDDEN_SCOPE',
      );
    }
    const manager = await c.apiKeys.create.mutate({ name: 'mgr', scopes: ['read', 'manage'] });
    await expect(t.client(manager.secret).marketplace.sellerDashboard.query()).resolves.toMatchObject({
      subscribers: 0,
    });
  });
});
