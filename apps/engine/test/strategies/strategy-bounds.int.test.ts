import { type Kline, subjects, topics } from '@qt/shared';
import { DEPLOYMENT_LIMITS, TIER_LIMITS } from '@qt/strategy-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

const MIB = 1024 * 1024;
/**
 * How far the engine's heap may grow while the hostile deployments run. The in-process engine's own
 * churn (simulator, aggregation, persistence, GC timing) stays well inside this; the timer bomb of
 * issue 9 grew it by 1.7 GB in 26 s, the order storm by 8 MB/s.
 */
const HEAP_GROWTH_BOUND = 256 * MIB;
/**
 * The neighbour's worst wait from a candle's arrival to its call, in FREE call budgets (50 ms each):
 * 200 ms, a fifth of the 1 s candle.
 */
const WORST_WAIT_BUDGETS = 4;
/** Candles the other tenant's deployment must get after the hostile ones were deployed. */
const CANDLES_AFTER = 8;

/** Issue 9's timer bomb: 100 zero-delay timers per call, and 100 more from every timer callback. */
const timerBomb = strategyWat({
  imports: '(import "qt" "set_timer" (func $timer (param f64 i32) (result i32)))',
  onCandle: `(local $k i32) (loop $more
      (drop (call $timer (f64.const 0) (local.get $k)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $more (i32.lt_s (local.get $k) (i32.const 100))))`,
  extra: `(func (export "qt_on_timer") (param $id i32) (param $t f64) (local $k i32)
    (loop $more
      (drop (call $timer (f64.const 0) (local.get $k)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $more (i32.lt_s (local.get $k) (i32.const 100)))))`,
});

/**
 * Issue 9's order storm: 100 buy limits 1% under the close on every candle, and 100 more on every order
 * outcome, refusals included (the risk engine refuses most of them: FREE allows 2 orders a second).
 */
const orderStorm = strategyWat({
  extra: `(global $px (mut f64) (f64.const 0))
    (func $burst (local $k i32)
      (loop $more
        (drop (call $place (i32.const 0) (i32.const 0) (i32.const 1) (f64.const 0.001)
          (f64.mul (global.get $px) (f64.const 0.99)) (f64.const nan) (i32.const 0) (i32.const 0)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $more (i32.lt_s (local.get $k) (i32.const 100)))))
    (func (export "qt_on_order") (param $h i32) (param $status i32) (param $reason i32) (call $burst))`,
  onCandle: '(global.set $px (local.get $c)) (call $burst)',
});

/**
 * A slower storm, within the order rate: 20 market sells of BTC it does not hold on every candle. Every
 * one is refused; it is the count of refusals that stops it.
 */
const refusalStorm = strategyWat({
  onCandle: `(local $k i32) (loop $more
      (drop (call $place (i32.const 0) (i32.const 1) (i32.const 0) (f64.const 0.001)
        (f64.const nan) (f64.const nan) (i32.const 0) (i32.const 0)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $more (i32.lt_s (local.get $k) (i32.const 20))))`,
});

/**
 * The well-behaved neighbour: logs each candle's open time (decimal digits written backwards below
 * address 128), so the test can tell when the engine called it for which candle.
 */
const candleLogger = strategyWat({
  imports: '(import "qt" "log" (func $log (param i32 i32 i32)))',
  onCandle: `(local $x i64) (local $p i32)
    (local.set $x (i64.trunc_f64_u (local.get $t)))
    (local.set $p (i32.const 128))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $x) (i64.const 10)))))
      (local.set $x (i64.div_u (local.get $x) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $x) (i64.const 0))))
    (call $log (i32.const 1) (local.get $p) (i32.sub (i32.const 128) (local.get $p)))`,
});

/**
 * One free tenant's hostile strategies must not take the engine down or slow another tenant's strategy
 * (issue 9 findings 1 and 3): every queue a deployment fills is bounded, and a deployment over a bound is
 * stopped with a typed reason the dashboard shows.
 */
describe('strategy resource bounds', () => {
  let t: TestEngine;
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: ['BTC-USDT'],
    });
    await waitFor(() => t.engine.trading.service.hasMarket('binance', 'BTC-USDT'), 20_000, 'market data');
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function tenantWithAccount(name: string) {
    const person = await t.signUp(name);
    const client = t.client(person.token);
    const account = await client.paperAccounts.create.mutate({ name });
    await client.paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    const deploy = async (strategy: string, text: string) => {
      const uploaded = await client.strategies.upload.mutate({
        name: strategy,
        wasmBase64: base64(await wat(text)),
      });
      return client.strategies.deploy.mutate({
        strategyId: uploaded.id,
        accountId: account.id,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
      });
    };
    return { person, client, account, deploy };
  }

  it('stops a timer bomb and an order storm with their reasons while another tenant runs on in budget', async () => {
    const neighbour = await tenantWithAccount('neighbour');
    const hostile = await tenantWithAccount('hostile');
    expect(neighbour.person.tenant.tier).toBe('FREE');
    expect(hostile.person.tenant.tier).toBe('FREE');

    // When each closed candle reached the engine's bus, to compare with when the neighbour was called.
    const arrived = new Map<number, number>();
    const sub = await t.engine.bus.subscribe(
      topics.marketKlines,
      subjects.marketKlines('binance', 'BTC-USDT', '1s'),
      (m: { data: Kline }) => {
        if (m.data.closed && !arrived.has(m.data.openTime)) arrived.set(m.data.openTime, Date.now());
      },
    );
    const good = await neighbour.deploy('candle logger', candleLogger);
    expect(good.state).toBe('running');
    const calledFor = async () => {
      const lines = await neighbour.client.strategies.logs.query({ deploymentId: good.id, limit: 500 });
      return lines.filter((l) => /^\d+$/.test(l.message));
    };
    await waitFor(async () => (await calledFor()).length >= 2, 30_000, 'the neighbour to get candles');

    // The baseline after a settled start; the hostile tenant's heap use is measured from here.
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    const withinHeap = () => {
      const growth = Math.max(peak, process.memoryUsage().heapUsed) - baseline;
      // Fail at once rather than let an unbounded queue take the test process down with it.
      if (growth > HEAP_GROWTH_BOUND) throw new Error(`engine heap grew by ${Math.round(growth / MIB)} MiB`);
      return true;
    };
    try {
      const seenBefore = (await calledFor()).length;
      const bomb = await hostile.deploy('timer bomb', timerBomb);
      const storm = await hostile.deploy('order storm', orderStorm);
      const refusals = await hostile.deploy('refusal storm', refusalStorm);
      const hostileState = async (id: string) =>
        hostile.client.strategies.deployment.query({ deploymentId: id });

      await waitFor(
        async () => withinHeap() && (await hostileState(bomb.id)).state === 'failed',
        30_000,
        'the timer bomb to be stopped',
      );
      await waitFor(
        async () => withinHeap() && (await hostileState(storm.id)).state === 'failed',
        30_000,
        'the order storm to be stopped',
      );
      await waitFor(
        async () => withinHeap() && (await hostileState(refusals.id)).state === 'failed',
        60_000,
        'the refusal storm to be stopped',
      );
      expect((await hostileState(refusals.id)).reason).toMatch(
        /^ORDER_STORM: more than 100 of its orders were refused within 10 s/,
      );
      const bombView = await hostileState(bomb.id);
      expect(bombView.reason).toMatch(/^TIMER_LIMIT: /);
      const stormView = await hostileState(storm.id);
      expect(stormView.reason).toMatch(/^ORDER_STORM: /);
      // The storm was stopped within its bounds, not after the 31,915 attempts of issue 9: handles count
      // every order the module asked for, the last batch (refused whole when the bound was hit) included.
      const stormLog = await hostile.client.strategies.logs.query({ deploymentId: storm.id, limit: 500 });
      const handles = stormLog.flatMap((l) => /^order (\d+) refused/.exec(l.message)?.[1] ?? []).map(Number);
      expect(handles.length).toBeGreaterThan(0);
      const free = DEPLOYMENT_LIMITS.FREE;
      expect(Math.max(...handles)).toBeLessThanOrEqual(free.orderBurst + 10 * free.ordersPerSecond);
      // The stored row says the same (what the dashboard reads after a restart).
      const rows = await hostile.client.strategies.deployments.query();
      expect(rows.find((d) => d.id === bomb.id)?.reason).toMatch(/^TIMER_LIMIT: /);

      // The neighbour keeps getting its candles, each soon after it closed.
      await waitFor(
        async () => withinHeap() && (await calledFor()).length >= seenBefore + CANDLES_AFTER,
        CANDLES_AFTER * 1_000 + 30_000,
        'the neighbour to keep getting candles',
      );
      withinHeap();
      expect((await neighbour.client.strategies.deployment.query({ deploymentId: good.id })).state).toBe(
        'running',
      );
      const latencies = (await calledFor())
        .map((l) => {
          const at = arrived.get(Number(l.message));
          return at === undefined ? null : l.time - at;
        })
        .filter((ms): ms is number => ms !== null)
        .sort((a, b) => a - b);
      expect(latencies.length).toBeGreaterThanOrEqual(CANDLES_AFTER);
      // With one candle a second there are only a dozen or so samples: their "p99" is the worst one, and
      // one GC pause or scheduler hiccup of a loaded 2-core machine decides it. What matters is that the
      // neighbour is never held up by the hostile tenant's queues (issue 9: seconds, then not at all):
      // the worst candle-to-call wait stays within WORST_WAIT_BUDGETS of the FREE tier's call budgets,
      // a fifth of a candle, so it never falls behind; typical waits are a few milliseconds.
      const worst = latencies[latencies.length - 1] as number;
      console.info(
        `candle-to-call (ms) n=${latencies.length} p50=${latencies[Math.floor(latencies.length / 2)]} ` +
          `worst=${worst}; heap growth peak ${Math.round((peak - baseline) / MIB)} MiB; ` +
          `storm asked for ${Math.max(...handles)} orders; ${bombView.reason}; ${stormView.reason}`,
      );
      expect(worst).toBeLessThanOrEqual(WORST_WAIT_BUDGETS * TIER_LIMITS.FREE.callBudgetMs);
    } finally {
      clearInterval(sampler);
      await sub.unsubscribe();
    }
  }, 120_000);
});
