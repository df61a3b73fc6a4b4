import type { AlertFiringView } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestartableEngine, waitFor } from './alert-engine-support.ts';

/**
 * Data-quality alerts end to end on the simulator's faults: the feed supervisor publishes
 * `market.quality.*`, the alert engine evaluates it and delivers like any firing. OKX: its feed goes
 * stale after 25 s of silence (Binance's limit is 60 s), which keeps the stale case inside a minute.
 */
describe('data-quality alerts on the simulator (NATS bus)', () => {
  let e: RestartableEngine;

  beforeAll(async () => {
    e = await RestartableEngine.create({
      natsUrl: process.env.NATS_URL,
      marketVenues: ['okx'],
      marketSymbols: ['BTC-USDT'],
    });
    await e.start();
  }, 120_000);
  afterAll(async () => {
    await e?.dispose();
  });

  const sim = () => {
    const s = e.live.market?.simulator;
    if (!s) throw new Error('no simulator');
    return s;
  };

  it('accepts data-quality rules; a "feed degraded" rule must name its own deployment', async () => {
    const alice = await e.signUp('dq-rules');
    const c = e.client(alice.token);
    const created = await c.alerts.create.mutate({
      name: 'okx gaps',
      condition: { kind: 'dataQuality', events: ['gapDetected'], venue: 'okx' },
      trigger: { mode: 'every', cooldownMs: 1_000 },
    });
    expect(created.state).toBe('active');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: { data?: { appCode?: string }; shape?: { data?: { appCode?: string } } }) =>
          err.data?.appCode ?? err.shape?.data?.appCode ?? 'unknown',
      );
    const degraded = { kind: 'dataQuality', events: ['deploymentFeedDegraded'] };
    expect(
      await code(c.alerts.create.mutate({ name: 'x', condition: degraded, trigger: { mode: 'once' } })),
    ).toBe('VALIDATION_FAILED');
    expect(
      await code(
        c.alerts.create.mutate({
          name: 'x',
          condition: { ...degraded, deploymentId: 'someone-elses' },
          trigger: { mode: 'once' },
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      await code(
        c.alerts.create.mutate({
          name: 'x',
          condition: { ...degraded, deploymentId: '00000000-0000-4000-8000-000000000000' },
          trigger: { mode: 'once' },
        }),
      ),
    ).toBe('NOT_FOUND');
    await c.alerts.delete.mutate({ alertId: created.id });
  }, 60_000);

  it('fires a gap alert on the simulator gap fault, once per gap, and it reaches in-app', async () => {
    const bob = await e.signUp('dq-gap');
    const ws = e.wsClient(bob.token);
    const live: AlertFiringView[] = [];
    let started = false;
    const sub = ws.client.alerts.onFired.subscribe(undefined, {
      onStarted: () => {
        started = true;
      },
      onData: (f) => live.push(f),
    });
    try {
      await waitFor('the subscription started', () => (started ? true : undefined));
      await e.client(bob.token).alerts.create.mutate({
        name: 'okx BTC gap',
        condition: { kind: 'dataQuality', events: ['gapDetected'], venue: 'okx', symbol: 'BTC-USDT' },
        trigger: { mode: 'every', cooldownMs: 1_000 },
      });
      sim().faults.skipTradeIds('okx', 'BTC-USDT', 5);
      const f = await waitFor('the gap firing in-app', () => live.find((x) => x.event === 'gapDetected'));
      expect(f.venue).toBe('okx');
      expect(f.symbol).toBe('BTC-USDT');
      const hist = await waitFor('the gap firing stored', async () => {
        const h = await e.client(bob.token).alerts.history.query({ limit: 50 });
        return h.items.length > 0 ? h.items : undefined;
      });
      expect(hist.filter((x) => x.event === 'gapDetected')).toHaveLength(1);
    } finally {
      sub.unsubscribe();
      await ws.close();
    }
  }, 120_000);

  it('fires a stale-feed alert once per stale period and it reaches in-app', async () => {
    const carol = await e.signUp('dq-stale');
    const ws = e.wsClient(carol.token);
    const live: AlertFiringView[] = [];
    let started = false;
    const sub = ws.client.alerts.onFired.subscribe(undefined, {
      onStarted: () => {
        started = true;
      },
      onData: (f) => live.push(f),
    });
    try {
      await waitFor('the subscription started', () => (started ? true : undefined));
      await waitFor('the okx feed live', () =>
        e.live.market?.feeds.status().every((s) => s.state === 'live') ? true : undefined,
      );
      await e.client(carol.token).alerts.create.mutate({
        name: 'okx stale',
        condition: { kind: 'dataQuality', events: ['feedStale'], venue: 'okx' },
        // A short cooldown: a second event in the same stale period WOULD fire; only one may exist.
        trigger: { mode: 'every', cooldownMs: 1_000 },
      });
      // Silent on every endpoint past the 25 s stale limit: stale, reconnects while silent, then live.
      sim().faults.goSilent('okx', 32_000);
      const f = await waitFor(
        'the stale firing in-app',
        () => live.find((x) => x.event === 'feedStale'),
        90_000,
      );
      expect(f.venue).toBe('okx');
      await waitFor(
        'the okx feed live again',
        () => (e.live.market?.feeds.status().every((s) => s.state === 'live') ? true : undefined),
        90_000,
      );
      const h = await e.client(carol.token).alerts.history.query({ limit: 50 });
      expect(h.items.filter((x) => x.event === 'feedStale')).toHaveLength(1);
      expect(live.filter((x) => x.event === 'feedStale')).toHaveLength(1);
    } finally {
      sub.unsubscribe();
      await ws.close();
    }
  }, 200_000);

  /** A running deployment of the SMA example on okx BTC-USDT, for a fresh tenant. */
  async function deployOnOkx(name: string) {
    const person = await e.signUp(name);
    const c = e.client(person.token);
    const account = await c.paperAccounts.create.mutate({ name });
    await c.paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    const strategy = await c.strategies.createFromExample.mutate({ name, example: 'sma-crossover' });
    const dep = await c.strategies.deploy.mutate({
      strategyId: strategy.id,
      accountId: account.id,
      instruments: [{ venue: 'okx', symbol: 'BTC-USDT' }],
      interval: '1s',
      params: { fast: 2, slow: 3, quantity: 0.001 },
    });
    const state = async () => (await c.strategies.deployment.query({ deploymentId: dep.id })).state;
    await waitFor('the deployment running', async () => ((await state()) === 'running' ? true : undefined));
    await c.alerts.create.mutate({
      name: 'pause on stale okx',
      condition: {
        kind: 'dataQuality',
        events: ['feedStale'],
        venue: 'okx',
        symbol: 'BTC-USDT',
        pauseDeployment: true,
      },
      trigger: { mode: 'every', cooldownMs: 1_000 },
    });
    return { c, person, deploymentId: dep.id };
  }

  const okxLive = () =>
    waitFor(
      'the okx feed live',
      () => (e.live.market?.feeds.status().every((s) => s.state === 'live') ? true : undefined),
      90_000,
    );

  it('pauses a deployment with FEED_STALE while its feed is stale and resumes it when it is live', async () => {
    await okxLive();
    const { c, deploymentId } = await deployOnOkx('dq-pause');
    // An owner-paused deployment on the same market must stay paused when the feed comes back.
    const other = await deployOnOkx('dq-owner-paused');
    await other.c.strategies.pause.mutate({ deploymentId: other.deploymentId });
    const view = () => c.strategies.deployment.query({ deploymentId });
    sim().faults.goSilent('okx', 32_000);
    const paused = await waitFor(
      'the deployment paused by the stale feed',
      async () => {
        const d = await view();
        return d.state === 'paused' ? d : undefined;
      },
      90_000,
    );
    expect(paused.reason).toMatch(/^FEED_STALE: okx BTC-USDT/);
    // Stored as well (the reason is the record of who paused it). The runner changes its state in
    // memory first (no order leaves a paused deployment) and writes the row right after, in order; the
    // API can show `paused` a moment before the row says so.
    const row = await waitFor(
      'the paused state stored',
      async () => {
        const r = await e.db.prisma.strategyDeployment.findUniqueOrThrow({ where: { id: deploymentId } });
        return r.state === 'paused' ? r : undefined;
      },
      10_000,
    );
    expect(row.reason).toMatch(/^FEED_STALE: okx BTC-USDT/);
    const resumed = await waitFor(
      'the deployment running again once the feed is live',
      async () => {
        const d = await view();
        return d.state === 'running' ? d : undefined;
      },
      90_000,
    );
    expect(resumed.reason).toBeNull();
    const owners = await other.c.strategies.deployment.query({ deploymentId: other.deploymentId });
    expect(owners.state).toBe('paused');
    expect(owners.reason).toBeNull();
    await c.strategies.stop.mutate({ deploymentId });
    await other.c.strategies.stop.mutate({ deploymentId: other.deploymentId });
  }, 240_000);

  it('a deployment paused by a stale feed is resumed after an engine restart once the feed trades', async () => {
    await okxLive();
    const { person, deploymentId } = await deployOnOkx('dq-restart');
    sim().faults.goSilent('okx', 120_000);
    await waitFor(
      'the deployment paused by the stale feed',
      async () => {
        const row = await e.db.prisma.strategyDeployment.findUniqueOrThrow({ where: { id: deploymentId } });
        return row.state === 'paused' ? row : undefined;
      },
      90_000,
    );
    // Stopped while the feed is still stale; the next run's feed is live from the start. The restored
    // deployment keeps its FEED_STALE reason, and the alert engine resumes it on the market's first trade
    // after the pause.
    await e.stop();
    // The stop kept who paused it: the stored row says FEED_STALE (a null reason would never be resumed).
    const stored = await e.db.prisma.strategyDeployment.findUniqueOrThrow({ where: { id: deploymentId } });
    expect(stored.state).toBe('paused');
    expect(stored.reason ?? '').toMatch(/^FEED_STALE: okx BTC-USDT /);
    await e.start();
    const c = e.client(person.token);
    // The new run's feed is live at once: restored paused, then resumed on the first okx trade after the
    // pause (within milliseconds, so only the end state is observable here).
    const d = await waitFor(
      'the deployment running after the restart',
      async () => {
        const v = await c.strategies.deployment.query({ deploymentId });
        return v.state === 'running' ? v : undefined;
      },
      30_000,
    );
    expect(d.reason).toBeNull();
  }, 240_000);
});
