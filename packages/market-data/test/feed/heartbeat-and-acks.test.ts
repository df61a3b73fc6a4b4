import { type FeedStatus, liveClock, ManualClock } from '@qt/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/feed/backoff.ts';
import { SlidingWindowLimiter } from '../../src/feed/connect-limiter.ts';
import { createFeed } from '../../src/feed/create-feed.ts';
import type { FeedEvent } from '../../src/feed/feed-events.ts';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import type { VenueAdapter } from '../../src/venues/venue-adapter.ts';
import { type FakeConnection, type FakeVenueScript, startFakeVenue, waitFor } from './fake-venue.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function run(adapter: VenueAdapter, prefix: string, script: FakeVenueScript, symbols: string[]) {
  const v = await startFakeVenue(prefix, script);
  cleanups.push(() => v.close());
  const events: FeedEvent[] = [];
  const feed = createFeed({
    adapter,
    symbols,
    endpoints: [v.base],
    clock: liveClock,
    options: {
      staleAfterMs: 300,
      heartbeatIntervalMs: 60,
      checkIntervalMs: 10,
      backoff: { initialMs: 20, maxMs: 50 },
    },
    onEvent: (e) => events.push(e),
  });
  cleanups.push(() => feed.stop());
  feed.start();
  return { v, feed, events, state: () => feed.status()[0] as FeedStatus };
}

describe('OKX heartbeat and acknowledgements', () => {
  const okx: FakeVenueScript = {
    onMessage(conn, text) {
      if (text === 'ping') return conn.send('pong');
      const req = JSON.parse(text) as { id: string; args: { channel: string; instId: string }[] };
      for (const arg of req.args) {
        if (arg.instId === 'NOPE-USDT')
          conn.send({
            id: req.id,
            event: 'error',
            code: '60018',
            msg: `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist`,
            connId: 'c1',
          });
        else conn.send({ id: req.id, event: 'subscribe', arg, connId: 'c1' });
      }
    },
  };

  it('sends the text ping after silence and stays live on the pongs', async () => {
    const h = await run(createOkxAdapter(), 'okx', okx, ['BTC-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = h.v.connections[0] as FakeConnection;
    expect(conn.url).toBe('/okx/ws/v5/public');
    expect(JSON.parse(conn.received[0] ?? '')).toMatchObject({
      op: 'subscribe',
      args: [
        { channel: 'trades', instId: 'BTC-USDT' },
        { channel: 'bbo-tbt', instId: 'BTC-USDT' },
      ],
    });
    await waitFor(() => conn.received.filter((t) => t === 'ping').length >= 5, 3000, 'pings');
    expect(h.state()).toMatchObject({ state: 'live', reconnects: 0 });
  });

  it('surfaces a 60018 error for an unknown instrument', async () => {
    const h = await run(createOkxAdapter(), 'okx', okx, ['NOPE-USDT']);
    await waitFor(() => h.events.some((e) => e.type === 'venueErrorReceived'), 3000, 'error event');
    expect(h.events.find((e) => e.type === 'venueErrorReceived')).toMatchObject({ code: '60018' });
    expect(h.state().lastError).toMatch(/60018/);
  });
});

describe('Bybit heartbeat and acknowledgements', () => {
  it('pings on schedule even while data flows, and subscribes at most 10 args per request', async () => {
    const symbols = Array.from({ length: 8 }, (_, i) => `C${i}-USDT`);
    let pushing: NodeJS.Timeout | undefined;
    const h = await run(
      createBybitAdapter(),
      'bybit',
      {
        onMessage(conn, text) {
          const req = JSON.parse(text) as { req_id: string; op: string; args?: string[] };
          if (req.op === 'ping') conn.send({ success: true, ret_msg: 'pong', conn_id: 'c', op: 'ping' });
          else
            conn.send({
              success: true,
              ret_msg: 'subscribe',
              conn_id: 'c',
              req_id: req.req_id,
              op: 'subscribe',
            });
        },
        onConnection(conn) {
          pushing = setInterval(
            () =>
              conn.send({
                topic: 'orderbook.1.C0USDT',
                type: 'snapshot',
                ts: 1,
                data: { s: 'C0USDT', b: [['1', '1']], a: [['2', '1']], u: 1, seq: 1 },
              }),
            10,
          );
        },
      },
      symbols,
    );
    cleanups.push(async () => clearInterval(pushing));
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = h.v.connections[0] as FakeConnection;
    const requests = conn.received.map((t) => JSON.parse(t) as { op: string; args?: string[] });
    const subs = requests.filter((r) => r.op === 'subscribe');
    expect(subs.map((r) => r.args?.length)).toEqual([10, 6]);
    await waitFor(() => conn.received.filter((t) => t.includes('"op":"ping"')).length >= 4, 3000, 'pings');
  });
});

describe('Backoff and connection-attempt limiter', () => {
  it('doubles with equal jitter up to the cap, and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([b.next(), low.next(), low.next()]).toEqual([100, 50, 100]);
  });

  it('spaces attempts so no window holds more than the limit', () => {
    const clock = new ManualClock(1_000_000);
    const limiter = new SlidingWindowLimiter({ max: 3, windowMs: 1000 }, clock);
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([0, 0, 0]);
    expect(limiter.reserve()).toBe(1000);
    expect(limiter.reserve()).toBe(1000);
    clock.advance(400);
    expect(limiter.reserve()).toBe(600);
    expect(limiter.reserve()).toBe(1600);
    clock.advance(5000);
    expect(limiter.reserve()).toBe(0);
  });
});
