import type { Firing } from '@qt/alerts';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/alerts/alert-store.ts';

// Two engines on one database, as the store sees them: engine A and engine B share the tables.
const LEASE_MS = 60_000;
const committed = { MARKET_TRADES: 1 };

let db: TestDatabase;
let store: AlertStore;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new AlertStore(db.prisma);
  tenantId = (await db.prisma.tenant.create({ data: { name: 'store test' } })).id;
});
afterAll(async () => {
  await db?.drop();
});

async function newAlert(state: 'active' | 'fired_out' | 'paused' = 'active') {
  return db.prisma.alert.create({
    data: {
      tenantId,
      name: 'a',
      rule: {},
      channels: [{ kind: 'email', id: 'm', to: 'x@example.test' }],
      state,
    },
  });
}

function firing(alertId: string, id: string, final = false): Firing {
  return {
    id,
    alertId,
    tenantId,
    alertName: 'a',
    venue: 'binance',
    symbol: 'BTC-USDT',
    source: 'trade',
    at: Date.now(),
    price: '100',
    interval: null,
    values: {},
    event: null,
    pauseDeployment: false,
    message: 'm',
    final,
  };
}

describe('alert store with two engines on one database', () => {
  it('stores a firing only for an active alert: a once alert fired out by one engine does not fire again', async () => {
    const alert = await newAlert();
    const once = `${alert.id}:once`;
    // Engine A fires it out...
    const a = await store.commitEvaluation(
      'A',
      [{ firing: firing(alert.id, once, true), channelIds: ['m'] }],
      committed,
      LEASE_MS,
    );
    expect([...a]).toEqual([once]);
    expect((await db.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).state).toBe('fired_out');
    // ...engine B, which measured the crossing at another trade, fires it under another id: not stored.
    const b = await store.commitEvaluation(
      'B',
      [{ firing: firing(alert.id, `${alert.id}:t:other`, true), channelIds: ['m'] }],
      committed,
      LEASE_MS,
    );
    expect([...b]).toEqual([]);
    const paused = await newAlert('paused');
    const c = await store.commitEvaluation(
      'B',
      [{ firing: firing(paused.id, `${paused.id}:t:1`), channelIds: ['m'] }],
      committed,
      LEASE_MS,
    );
    expect([...c]).toEqual([]);
    expect(await db.prisma.alertFiring.count({ where: { alertId: { in: [alert.id, paused.id] } } })).toBe(1);
  });

  it('a delivery row is sent by one engine at a time: leased at commit, claimed once, renewed, released', async () => {
    const alert = await newAlert();
    const ids = Array.from({ length: 6 }, (_, i) => `${alert.id}:t:${i}`);
    await store.commitEvaluation(
      'A',
      ids.map((id) => ({ firing: firing(alert.id, id), channelIds: ['m'] })),
      committed,
      LEASE_MS,
    );
    const mine = (rows: { firingId: string }[]) =>
      rows
        .map((r) => r.firingId)
        .filter((id) => ids.includes(id))
        .sort();
    // A holds them (leased at commit): B's sweep gets none of them.
    expect(mine(await store.claimPendingDeliveries('B', 100, [], LEASE_MS))).toEqual([]);
    // A's own sweep leaves out what A's queue holds, and takes its other rows (refused as full, say).
    const held = ids.slice(0, 4).map((firingId) => ({ firingId, channelId: 'm' }));
    expect(mine(await store.claimPendingDeliveries('A', 100, held, LEASE_MS))).toEqual(ids.slice(4).sort());

    // A lapsed lease (A died): two engines sweeping at once split the rows, none is claimed twice.
    await db.prisma.alertDelivery.updateMany({
      where: { firingId: { in: ids } },
      data: { claimedUntil: new Date(Date.now() - 1) },
    });
    const [x, y] = await Promise.all([
      store.claimPendingDeliveries('B', 100, [], LEASE_MS),
      store.claimPendingDeliveries('C', 100, [], LEASE_MS),
    ]);
    const bx = mine(x);
    const cy = mine(y);
    expect([...bx, ...cy].sort()).toEqual([...ids].sort());
    expect(bx.filter((id) => cy.includes(id))).toEqual([]);

    // Renewal keeps a lease alive; release hands the rows over at once.
    const bHeld = bx.map((firingId) => ({ firingId, channelId: 'm' }));
    await db.prisma.alertDelivery.updateMany({
      where: { firingId: { in: bx } },
      data: { claimedUntil: new Date(Date.now() - 1) },
    });
    await store.renewClaims('B', bHeld, LEASE_MS);
    expect(
      mine(
        await store.claimPendingDeliveries(
          'C',
          100,
          cy.map((firingId) => ({ firingId, channelId: 'm' })),
          LEASE_MS,
        ),
      ),
    ).toEqual([]);
    await store.releaseClaims('B');
    expect(
      mine(
        await store.claimPendingDeliveries(
          'C',
          100,
          cy.map((firingId) => ({ firingId, channelId: 'm' })),
          LEASE_MS,
        ),
      ),
    ).toEqual(bx);
  });

  it('the sweep is not starved by rows the queue holds: it pages past them', async () => {
    const alert = await newAlert();
    const ids = Array.from({ length: 5 }, (_, i) => `${alert.id}:s:${i}`);
    await store.commitEvaluation(
      'D',
      ids.map((id) => ({ firing: firing(alert.id, id), channelIds: ['m'] })),
      committed,
      LEASE_MS,
    );
    // The oldest 3 are in D's queue; a sweep of room 2 must return the 2 others, not the held ones.
    const held = ids.slice(0, 3).map((firingId) => ({ firingId, channelId: 'm' }));
    const rows = await store.claimPendingDeliveries('D', 2, held, LEASE_MS);
    expect(rows.map((r) => r.firingId).sort()).toEqual(ids.slice(3).sort());
  });
});

describe('alert store positions and snapshots', () => {
  it('a commit records its positions beside the state; a restart resumes from the later of the two', async () => {
    expect(await store.loadSnapshot('P')).toBeNull();
    // The first commits come before any state is stored: nothing to restore yet.
    await store.commitEvaluation('P', [], { MARKET_TRADES: 5 }, LEASE_MS);
    expect(await store.loadSnapshot('P')).toBeNull();
    const state = { version: 1, note: 'x'.repeat(1_000) };
    await store.writeSnapshot('P', JSON.stringify(state), {
      bus: 'nats',
      streams: { MARKET_TRADES: 5, MARKET_KLINES: 2 },
      committed: { MARKET_TRADES: 5, MARKET_KLINES: 2 },
    });
    // Later batches commit while the state stays as stored (it is rewritten every few seconds only).
    await store.commitEvaluation('P', [], { MARKET_TRADES: 9, MARKET_KLINES: 2 }, LEASE_MS);
    await store.commitEvaluation('P', [], { MARKET_TRADES: 12, MARKET_KLINES: 3 }, LEASE_MS);
    const snap = await store.loadSnapshot('P');
    expect(snap?.state).toEqual(state);
    expect(snap?.positions.streams).toEqual({ MARKET_TRADES: 5, MARKET_KLINES: 2 });
    expect(snap?.positions.committed).toEqual({ MARKET_TRADES: 12, MARKET_KLINES: 3 });
    // A newer state (at stop) covers everything: the positions never go back.
    await store.writeSnapshot('P', JSON.stringify(state), {
      bus: 'nats',
      streams: { MARKET_TRADES: 12, MARKET_KLINES: 3 },
      committed: { MARKET_TRADES: 12, MARKET_KLINES: 3 },
    });
    const after = await store.loadSnapshot('P');
    expect(after?.positions.streams).toEqual({ MARKET_TRADES: 12, MARKET_KLINES: 3 });
    expect(after?.positions.committed).toEqual({ MARKET_TRADES: 12, MARKET_KLINES: 3 });
    // Each engine has its own rows.
    expect(await store.loadSnapshot('Q')).toBeNull();
  });
});
