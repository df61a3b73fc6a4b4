import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveClock, streamNames, subjects, topics } from '@qt/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { batch, busContract, trade, tradeIdOf, waitFor } from './bus-contract.ts';

const url = process.env.NATS_URL;
const logger = pino({ level: 'silent' });

// JetStream reserves max_bytes per stream at creation; tests keep it small so parallel runs fit the server.
const small = streamSpecs.map((s) => ({ ...s, maxBytes: 32 * 1024 * 1024 }));

/** Removes a test namespace's streams over a connection of its own (the bus under test may be closed). */
async function deleteNamespace(ns: string): Promise<void> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const { connect: natsConnect } = await import('@nats-io/transport-node');
  const nc = await natsConnect({ servers: url as string });
  const jsm = await jetstreamManager(nc);
  for (const s of small) await jsm.streams.delete(`${ns}_${s.name}`).catch(() => false);
  await nc.close();
}

const connect = (ns: string, streams = small) =>
  NatsBus.connect({
    url: url as string,
    streams,
    clock: liveClock,
    logger,
    name: `qt-test-${ns}`,
    namespace: ns,
  });

// CI sets NATS_URL (see .ci/run), so this runs there; on a machine without NATS it is skipped visibly.
describe.skipIf(!url)('NATS JetStream bus', () => {
  busContract('nats', async () => {
    const ns = `qt_t_${randomBytes(4).toString('hex')}`;
    const bus = await connect(ns);
    return {
      bus,
      cleanup: async () => {
        await bus.close();
        await deleteNamespace(ns);
      },
    };
  });

  it('creates the declared streams with their limits, and updates them when the code changes', async () => {
    const ns = `qt_t_${randomBytes(4).toString('hex')}`;
    const bus = await connect(ns);
    try {
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const { connect: natsConnect } = await import('@nats-io/transport-node');
      const nc = await natsConnect({ servers: url as string });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(`${ns}_${streamNames.marketTrades}`);
      const spec = small.find((s) => s.name === streamNames.marketTrades);
      expect(info.config.subjects).toEqual([`${ns}.market.trades.>`]);
      expect(info.config.max_age).toBe((spec?.maxAgeMs ?? 0) * 1_000_000);
      expect(info.config.max_bytes).toBe(spec?.maxBytes);
      expect(info.config.duplicate_window).toBe((spec?.duplicateWindowMs ?? 0) * 1_000_000);
      expect(info.config.discard).toBe('old');

      const changed = small.map((s) =>
        s.name === streamNames.marketTrades ? { ...s, maxAgeMs: 3_600_000 } : s,
      );
      const again = await connect(ns, changed);
      const updated = await jsm.streams.info(`${ns}_${streamNames.marketTrades}`);
      expect(updated.config.max_age).toBe(3_600_000 * 1_000_000);
      await again.close();
      await nc.close();
    } finally {
      await bus.close();
      await deleteNamespace(ns);
    }
  });

  it('fails at start, not later, when no server answers', async () => {
    await expect(
      NatsBus.connect({ url: 'nats://127.0.0.1:1', streams: small, clock: liveClock, logger, name: 'x' }),
    ).rejects.toThrow();
  });

  it('reports the server refusing a publish: a full discard-new stream, a stream that is gone', async () => {
    const ns = `qt_t_${randomBytes(4).toString('hex')}`;
    const full = small.map((s) =>
      s.name === streamNames.marketTrades ? { ...s, maxMsgs: 1, discard: 'new' as const } : s,
    );
    const bus = await connect(ns, full);
    const subject = subjects.marketTrades('binance', 'BTC-USDT');
    try {
      const first = await bus.publish(topics.marketTrades, subject, batch(trade()));
      expect(first).toMatchObject({ stream: streamNames.marketTrades, seq: 1, duplicate: false });
      await expect(bus.publish(topics.marketTrades, subject, batch(trade()))).rejects.toMatchObject({
        code: 'BUS_STREAM_FULL',
      });
      await deleteNamespace(ns);
      await expect(bus.publish(topics.marketTrades, subject, batch(trade()))).rejects.toMatchObject({
        code: 'BUS_UNKNOWN_STREAM',
      });
    } finally {
      await bus.close();
      await deleteNamespace(ns);
    }
  });

  it('stores trade batches in their compact form, and still reads batches stored as JSON', async () => {
    const ns = `qt_t_${randomBytes(4).toString('hex')}`;
    const bus = await connect(ns);
    const { connect: natsConnect, headers } = await import('@nats-io/transport-node');
    const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await natsConnect({ servers: url as string });
    try {
      const got: string[] = [];
      const sub = await bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => {
        got.push(tradeIdOf(m));
      });
      const compact = batch(trade());
      const ack = await bus.publish(
        topics.marketTrades,
        subjects.marketTrades('binance', 'BTC-USDT'),
        compact,
      );
      const jsm = await jetstreamManager(nc);
      const stored = await jsm.streams.getMessage(`${ns}_${streamNames.marketTrades}`, { seq: ack.seq });
      expect(new TextDecoder().decode(stored?.data).startsWith('T1|binance|BTC-USDT|')).toBe(true);
      // A message written as JSON (by the engine before the compact form) on the same subject.
      const legacy = batch(trade());
      const h = headers();
      h.set('Qt-Published-At', String(Date.now()));
      await jetstream(nc).publish(`${ns}.market.trades.binance.BTC-USDT`, JSON.stringify(legacy), {
        headers: h,
      });
      await waitFor(() => got.length === 2, 5_000, 'both batches delivered');
      expect(got).toEqual([compact.trades[0]?.tradeId, legacy.trades[0]?.tradeId]);
      expect(bus.rejected).toBe(0);
      await sub.unsubscribe();
    } finally {
      await nc.close();
      await bus.close();
      await deleteNamespace(ns);
    }
  });
});

const natsServer = '/usr/sbin/nats-server';

// A private server we may stop and start: the shared one must stay up for the rest of the run.
describe.skipIf(!url || !existsSync(natsServer))('NATS JetStream bus across a server restart', () => {
  let proc: ChildProcess | undefined;
  let storeDir = '';
  let port = 0;
  const start = async () => {
    proc = spawn(natsServer, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('private nats-server did not start');
  };
  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'qt-nats-'));
    port = await freePort();
    await start();
  });
  afterAll(() => {
    proc?.kill('SIGKILL');
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('reports the outage in health, reconnects by itself, and the durable consumer resumes without loss', async () => {
    const bus = await NatsBus.connect({
      url: `nats://127.0.0.1:${port}`,
      streams: small,
      clock: liveClock,
      logger,
      name: 'restart-test',
    });
    const got: string[] = [];
    const spec = {
      durable: 'restart',
      stream: streamNames.marketTrades,
      filterSubject: 'market.trades.>',
      deliver: 'all' as const,
      ackWaitMs: 2_000,
      maxDeliver: 5,
      maxAckPending: 100,
    };
    await bus.consume(topics.marketTrades, spec, (m) => void got.push(tradeIdOf(m)));
    const first = trade();
    await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(first));
    await waitFor(() => got.length === 1, 5_000, 'first message');

    proc?.kill('SIGTERM');
    await new Promise<void>((r) => proc?.once('exit', () => r()));
    await waitFor(() => !bus.health().connected, 10_000, 'health to report the outage');
    expect(bus.health().detail).toMatch(/disconnected/);

    await start();
    await waitFor(() => bus.health().connected, 15_000, 'reconnect');
    expect(bus.health().reconnects).toBe(1);
    const second = trade();
    // The first publish after a reconnect may race the server's JetStream start-up; retry briefly.
    for (let i = 0; ; i++) {
      try {
        await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(second));
        break;
      } catch (err) {
        if (i > 40) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await waitFor(() => got.length === 2, 20_000, 'the consumer to resume');
    expect(got).toEqual([first.tradeId, second.tradeId]);
    await bus.close();
  }, 60_000);
});

function canConnect(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: p }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => resolve(p));
    });
    srv.on('error', reject);
  });
}
