import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_STATE_FILE } from '../../src/billing/start-billing.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { payCheckout, waitUntil } from './stripe-pages.ts';

/**
 * `npm start` without a key: the emulator's customers and subscriptions survive an engine restart (its
 * state file in the data folder), so reconciliation at the next start finds them and changes nothing; an
 * emulator that lost its state does not make reconciliation end every subscription the database holds.
 */
describe('the emulator across engine restarts', () => {
  let db: TestDatabase;
  let dataDir: string;
  let t: TestEngine | undefined;
  let person: { userId: string; tenantId: string };

  const tier = async (engine: TestEngine) =>
    (await engine.client(await engine.sessionToken(person.userId, person.tenantId)).accounts.me.query())
      .tenant.tier;
  const planRow = () =>
    (t as TestEngine).engine.api.db.billingSubscription.findFirstOrThrow({
      where: { tenantId: person.tenantId, kind: 'plan' },
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'qt-emulator-restart-'));
  });
  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a paid plan through a restart, reconciled against the restored emulator', async () => {
    t = await startTestEngine({ databaseUrl: db.url, dataDir });
    const a = await t.signUp('restart');
    person = { userId: a.user.id, tenantId: a.tenant.id };
    const { url } = await t.client(a.token).billing.startCheckout.mutate({ tier: 'PRO', interval: 'year' });
    await payCheckout(url, '4242 4242 4242 4242');
    const engine = t;
    await waitUntil(
      () => tier(engine),
      (x) => x === 'PRO',
      5_000,
      'tier PRO',
    );
    const before = await planRow();
    // Saved within about a second of the change, while the engine runs: a crash now would keep it.
    const file = join(dataDir, EMULATOR_STATE_FILE);
    await waitUntil(
      async () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
      (text) => text.includes(before.stripeSubscriptionId),
      3_000,
      'the state file holds the subscription',
    );
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await t.stop();
    t = undefined;

    t = await startTestEngine({ databaseUrl: db.url, dataDir });
    expect(t.stripeEmulator?.restored).toBe(true);
    // The start's reconciliation ran against the restored emulator: nothing to repair.
    expect(await t.engine.billing.reconcile()).toMatchObject({ repaired: 0 });
    const after = await planRow();
    expect(after.access).toBe('active');
    expect(after.stripeSubscriptionId).toBe(before.stripeSubscriptionId);
    expect(await tier(t)).toBe('PRO');
    // The customer is still Stripe's: the portal opens for them.
    const portal = await t
      .client(await t.sessionToken(person.userId, person.tenantId))
      .billing.openPortal.mutate();
    expect((await fetch(portal.url)).status).toBe(200);
  }, 60_000);

  it('does not end subscriptions when the emulator lost its state', async () => {
    await (t as TestEngine).stop();
    t = undefined;
    // A fresh data folder: the emulator starts empty while the database remembers the plan.
    t = await startTestEngine({ databaseUrl: db.url });
    expect(t.stripeEmulator?.restored).toBe(false);
    const row = await planRow();
    expect(row.access).toBe('active');
    expect(await tier(t)).toBe('PRO');
  }, 60_000);
});
