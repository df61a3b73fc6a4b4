import { setTenantTier } from '@qt/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { apiKeyFor, raw } from './limit-helpers.ts';
import { storeCandles } from './limits-fixtures.ts';

/**
 * One FREE tenant floods heavy history reads (1,500 candles a page, 40 a second offered, up to 24 in
 * flight: far past its budget of 2 pages a second, and within what one engine can refuse; a flood beyond
 * the engine's raw request capacity is for the load balancer in front, not for a tier limit); a quiet ENTERPRISE tenant reads 100 candles 20 times a second. Stated bound: the quiet tenant's p99
 * during the flood stays under 5x its p99 alone plus 100 ms (relative: this machine is shared and noisy).
 * Measured at load average 17 on 2 cores: alone p99 194 ms, during 735 ms with the limiter; 5.5 s without. Before the limiter every
 * flooding call ran its database query and serialised 1,500 candles, and the quiet tenant's calls queued
 * behind them (issue 10 measured a median going from 3 to 281 ms); now the flood's calls past its
 * budget (240 units at once, 20/s; a page costs 10) or over its 4 running calls are refused before any
 * query.
 */
const OFFERED_PER_SECOND = 40;
const FLOOD_IN_FLIGHT = 24;
const SECONDS = 6;

describe('a noisy FREE tenant does not move another tenant p99 beyond the bound', () => {
  let t: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine({
      rateLimits: true,
      marketSource: 'simulator',
      marketVenues: ['binance'],
      marketSymbols: ['BTC-USDT'],
      simulatorTradesPerSecond: 2,
    });
    await storeCandles(t, 3_000);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  // The newest pages (no `from`): the stored history is older than a FREE plan's 90 days of reach.
  const heavy = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m', limit: 1_500 };
  const light = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m', limit: 100 };

  /** The quiet tenant's latencies (ms) over `seconds`, one call every 50 ms. */
  async function quietLatencies(key: string, seconds: number): Promise<number[]> {
    const out: number[] = [];
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const started = performance.now();
      const r = await raw(t, key, 'market.candles', light);
      out.push(performance.now() - started);
      expect(r.status).toBe(200);
      const wait = 50 - (performance.now() - started);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    return out;
  }
  const p99 = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? 0;
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

  it('holds the stated bound', async () => {
    const noisy = await t.signUp('noisy');
    const quiet = await t.signUp('quiet');
    await setTenantTier(t.engine.api, quiet.tenant.id, 'ENTERPRISE');
    const noisyKey = await apiKeyFor(t, noisy.token);
    const quietKey = await apiKeyFor(t, quiet.token);
    await quietLatencies(quietKey, 1); // warm-up
    const alone = await quietLatencies(quietKey, SECONDS);

    // Open loop: 40 heavy reads a second offered, at most 24 in flight; a closed loop would measure how
    // fast this one process (client and engine) can spin, not what the limiter protects.
    let stop = false;
    let inFlight = 0;
    const tally: Record<number, number> = {};
    const fire = () => {
      inFlight++;
      void raw(t, noisyKey, 'market.candles', heavy)
        .then((r) => {
          tally[r.status] = (tally[r.status] ?? 0) + 1;
        })
        .finally(() => inFlight--);
    };
    const flood = (async () => {
      const started = performance.now();
      let sent = 0;
      while (!stop) {
        const due = Math.floor(((performance.now() - started) / 1000) * OFFERED_PER_SECOND);
        while (sent < due) {
          sent++;
          if (inFlight < FLOOD_IN_FLIGHT) fire();
          else tally[0] = (tally[0] ?? 0) + 1;
        }
        await new Promise((res) => setTimeout(res, 10));
      }
      while (inFlight > 0) await new Promise((res) => setTimeout(res, 10));
    })();
    const during = await quietLatencies(quietKey, SECONDS);
    stop = true;
    await flood;

    const bound = 5 * p99(alone) + 100;
    // eslint-disable-next-line no-console
    console.log(
      `quiet tenant alone p50 ${p50(alone).toFixed(1)} p99 ${p99(alone).toFixed(1)} ms; during the flood p50 ${p50(during).toFixed(1)} p99 ${p99(during).toFixed(1)} ms (bound ${bound.toFixed(1)}); flood answers ${JSON.stringify(tally)}`,
    );
    expect(tally[429] ?? 0).toBeGreaterThan(tally[200] ?? 0);
    expect(p99(during)).toBeLessThanOrEqual(bound);
  }, 120_000);
});
