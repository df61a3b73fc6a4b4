import type { Firing } from '@qt/alerts';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertStore,
  COMMIT_LOCK_TIMEOUT_MS,
  FIRINGS_PER_STATEMENT,
  parseStaleFeedReason,
} from '../../src/alerts/alert-store.ts';
import { isTransientCommitError } from '../../src/alerts/commit-errors.ts';

// Two engines on one database, as the store sees them: engine A and engine B share the tables.
const LEASE_MS = 60_000;
const committed = { bus: 'nats' as const, streams: { MARKET_TRADES: 1 } };

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
    await store.commitEvaluation('P', [], { bus: 'nats', streams: { MARKET_TRADES: 5 } }, LEASE_MS);
    expect(await store.loadSnapshot('P')).toBeNull();
    const state = { version: 1, note: 'x'.repeat(1_000) };
    await store.writeSnapshot('P', JSON.stringify(state), {
      bus: 'nats',
      streams: { MARKET_TRADES: 5, MARKET_KLINES: 2 },
      committed: { MARKET_TRADES: 5, MARKET_KLINES: 2 },
    });
    // Later batches commit while the state stays as stored (it is rewritten every few seconds only).
    await store.commitEvaluation(
      'P',
      [],
      { bus: 'nats', streams: { MARKET_TRADES: 9, MARKET_KLINES: 2 } },
      LEASE_MS,
    );
    await store.commitEvaluation(
      'P',
      [],
      { bus: 'nats', streams: { MARKET_TRADES: 12, MARKET_KLINES: 3 } },
      LEASE_MS,
    );
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

describe('alert store: committed positions on their bus', () => {
  it('a #committed row written on another bus is ignored at load, like the state row', async () => {
    await store.writeSnapshot('BUS', JSON.stringify({ v: 1 }), {
      bus: 'nats',
      streams: { MARKET_TRADES: 5 },
      committed: { MARKET_TRADES: 5 },
    });
    // The same evaluator id ran on the in-process bus since (its sequences restart at 1 every run).
    await store.commitEvaluation('BUS', [], { bus: 'in-process', streams: { MARKET_TRADES: 900 } }, LEASE_MS);
    expect((await store.loadSnapshot('BUS'))?.positions.committed).toEqual({ MARKET_TRADES: 5 });
    await store.commitEvaluation('BUS', [], { bus: 'nats', streams: { MARKET_TRADES: 7 } }, LEASE_MS);
    expect((await store.loadSnapshot('BUS'))?.positions.committed).toEqual({ MARKET_TRADES: 7 });
  });
});

describe('alert store: bounded commits', () => {
  it('more firings than one statement holds: all stored in one transaction, positions with the last', async () => {
    const alert = await newAlert();
    const n = FIRINGS_PER_STATEMENT * 2 + 7;
    const ids = Array.from({ length: n }, (_, i) => `${alert.id}:chunk:${i}`);
    const created = await store.commitEvaluation(
      'CH',
      ids.map((id) => ({ firing: firing(alert.id, id), channelIds: ['m'] })),
      { bus: 'nats', streams: { MARKET_TRADES: 42 } },
      LEASE_MS,
    );
    expect(created.size).toBe(n);
    expect(await db.prisma.alertFiring.count({ where: { alertId: alert.id } })).toBe(n);
    expect(await db.prisma.alertDelivery.count({ where: { firingId: { in: ids } } })).toBe(n);
    const row = await db.prisma.alertEvaluatorSnapshot.findUniqueOrThrow({
      where: { evaluator: 'CH#committed' },
    });
    expect(row.positions).toEqual({ bus: 'nats', committed: { MARKET_TRADES: 42 } });
    // One bad firing in the LAST chunk: nothing of the batch is stored (one transaction), positions kept.
    const more = Array.from({ length: FIRINGS_PER_STATEMENT + 1 }, (_, i) =>
      firing(alert.id, `${alert.id}:more:${i}`),
    );
    const last = more[more.length - 1];
    if (last) last.at = 9.9e15; // past PostgreSQL's last timestamp: 22008, refused for good
    const err = await store
      .commitEvaluation(
        'CH',
        more.map((f) => ({ firing: f, channelIds: ['m'] })),
        { bus: 'nats', streams: { MARKET_TRADES: 43 } },
        LEASE_MS,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).not.toBeNull();
    expect(isTransientCommitError(err)).toBe(false);
    expect(await db.prisma.alertFiring.count({ where: { id: { startsWith: `${alert.id}:more:` } } })).toBe(0);
    const after = await db.prisma.alertEvaluatorSnapshot.findUniqueOrThrow({
      where: { evaluator: 'CH#committed' },
    });
    expect(after.positions).toEqual({ bus: 'nats', committed: { MARKET_TRADES: 42 } });
  });

  it('a commit waiting on a lock fails within the lock timeout (transient), then commits once it is free', async () => {
    const alert = await newAlert();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE alert_firings IN ACCESS EXCLUSIVE MODE');
      const t0 = performance.now();
      const err = await store
        .commitEvaluation(
          'LK',
          [{ firing: firing(alert.id, `${alert.id}:lk`), channelIds: ['m'] }],
          committed,
          LEASE_MS,
        )
        .then(
          () => null,
          (e: unknown) => e,
        );
      const took = performance.now() - t0;
      expect(err).not.toBeNull();
      expect(isTransientCommitError(err)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(COMMIT_LOCK_TIMEOUT_MS - 100);
      expect(took).toBeLessThan(COMMIT_LOCK_TIMEOUT_MS + 3_000);
      await holder.query('ROLLBACK');
      const created = await store.commitEvaluation(
        'LK',
        [{ firing: firing(alert.id, `${alert.id}:lk`), channelIds: ['m'] }],
        committed,
        LEASE_MS,
      );
      expect([...created]).toEqual([`${alert.id}:lk`]);
    } finally {
      await holder.end();
    }
  }, 20_000);
});

describe('alert store: deployments paused by a stale feed', () => {
  async function deployment(reason: string | null, state: 'paused' | 'running') {
    const suffix = Math.random().toString(36).slice(2);
    const strategy = await db.prisma.strategy.create({ data: { tenantId, name: `s-${suffix}` } });
    const version = await db.prisma.strategyVersion.create({
      data: {
        strategyId: strategy.id,
        version: 1,
        wasm: Buffer.from([0]),
        sha256: 'x',
        sizeBytes: 1,
        source: '',
        memoryPages: 1,
      },
    });
    const account = await db.prisma.paperAccount.create({ data: { tenantId, name: `a-${suffix}` } });
    return db.prisma.strategyDeployment.create({
      data: {
        tenantId,
        strategyId: strategy.id,
        versionId: version.id,
        accountId: account.id,
        instruments: [],
        interval: '1m',
        state,
        reason,
      },
    });
  }

  it('parses venue and symbol of FEED_STALE reasons (not in a SQL regex that lost its backslashes)', async () => {
    const paused = await deployment('FEED_STALE: okx BTC-USDT (alert x)', 'paused');
    await deployment('FEED_STALE: okx BTC-USDT-SWAP (alert y)', 'paused');
    await deployment('FEED_STALE: binance ETH-USDT (alert z)', 'running');
    await deployment('paused by its owner', 'paused');
    const pauses = await store.staleFeedPauses(100);
    expect(
      pauses.map(({ venue, symbol }) => ({ venue, symbol })).sort((a, b) => a.symbol.localeCompare(b.symbol)),
    ).toEqual([
      { venue: 'okx', symbol: 'BTC-USDT' },
      { venue: 'okx', symbol: 'BTC-USDT-SWAP' },
    ]);
    expect(pauses.find((p) => p.symbol === 'BTC-USDT')?.pausedAt).toBe(paused.updatedAt.getTime());
    // Most recently paused first, within the limit.
    expect(await store.staleFeedPauses(1)).toEqual([expect.objectContaining({ symbol: 'BTC-USDT-SWAP' })]);
    expect(parseStaleFeedReason('FEED_STALE: okx')).toBeNull();
    expect(parseStaleFeedReason('STALE: okx BTC-USDT')).toBeNull();
  });
});
