import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BinanceArchiveServer } from '../src/history/binance-archive-server.ts';
import { SimCandles } from '../src/history/sim-candles.ts';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { instrumentSpec } from '../src/instruments.ts';

// A month is generated and zipped here: seconds on a busy 2-core machine, nothing timing-sensitive.
vi.setConfig({ testTimeout: 60_000 });

const MIN = 60_000;
const DAY = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');
const dateOf = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};

/** The Binance public archive under the simulator's Binance base, over its real HTTP server. */
describe('binance archive files', () => {
  let sim: ExchangeSim;
  const base = () => sim.urls[0]?.binance.rest ?? '';
  const daily = (ms: number, sym = 'BTCUSDT') =>
    `/data/spot/daily/klines/${sym}/1m/${sym}-1m-${dateOf(ms)}.zip`;
  const get = async (path: string) => {
    const res = await fetch(base() + path);
    return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT'], manual: true, seed: 7 });
  });
  afterAll(() => sim.stop());

  it('serves a day as a zipped CSV whose CHECKSUM matches, rows equal to the klines REST answer', async () => {
    const day = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
    const path = daily(day);
    const sum = new TextDecoder().decode((await get(`${path}.CHECKSUM`)).bytes);
    const zip = await get(path);
    expect(zip.status).toBe(200);
    const sha = createHash('sha256').update(zip.bytes).digest('hex');
    expect(sum).toBe(`${sha}  BTCUSDT-1m-${dateOf(day)}.zip\n`);
    const files = unzipSync(zip.bytes);
    const csv = new TextDecoder().decode(files[`BTCUSDT-1m-${dateOf(day)}.csv`]);
    const rows = csv.trimEnd().split('\n');
    expect(rows).toHaveLength(1_440);
    // From 2025 on, microseconds, as Binance's spot archive.
    const first = rows[0]?.split(',') ?? [];
    expect(first[0]).toBe(`${day}000`);
    expect(first[6]).toBe(`${day + MIN - 1}999`);
    const rest = await fetch(
      `${base()}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${day}&endTime=${day + 9 * MIN}&limit=10`,
    );
    const restRows = (await rest.json()) as unknown[][];
    expect(restRows).toHaveLength(10);
    restRows.forEach((r, i) => {
      const cells = rows[i]?.split(',') ?? [];
      expect(Number(cells[0]) / 1000).toBe(r[0]);
      expect(cells.slice(1, 6)).toEqual(r.slice(1, 6));
      expect(cells.slice(7, 12)).toEqual([r[7], String(r[8]), r[9], r[10], r[11]]);
    });
    // Built deterministically: the same bytes again.
    expect((await get(path)).bytes).toEqual(zip.bytes);
  });

  it('writes milliseconds before 2025, and serves a month once it has ended', async () => {
    const zip = await get('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02.zip');
    expect(zip.status).toBe(200);
    const csv = new TextDecoder().decode(unzipSync(zip.bytes)['BTCUSDT-1m-2024-02.csv']);
    const rows = csv.trimEnd().split('\n');
    expect(rows).toHaveLength(29 * 1_440);
    expect(rows[0]?.split(',')[0]).toBe(String(Date.UTC(2024, 1, 1)));
  });

  it('answers 404 for today, a month not ended, other intervals, unknown symbols and bad dates', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`;
    for (const path of [
      daily(today),
      `${daily(today)}.CHECKSUM`,
      `/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-${month}.zip`,
      '/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-03.zip',
      daily(today - 3 * DAY, 'NOPEUSDT'),
      '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02-30.zip',
    ])
      expect((await get(path)).status, path).toBe(404);
  });

  it('corrupts the next CHECKSUM on demand (one answer, then correct again)', async () => {
    const path = daily(Math.floor(Date.now() / DAY) * DAY - 5 * DAY);
    const sha = createHash('sha256')
      .update((await get(path)).bytes)
      .digest('hex');
    sim.faults.corruptArchiveChecksum(1);
    const bad = new TextDecoder().decode((await get(`${path}.CHECKSUM`)).bytes);
    const good = new TextDecoder().decode((await get(`${path}.CHECKSUM`)).bytes);
    expect(bad.slice(0, 64)).not.toBe(sha);
    expect(bad.slice(0, 64)).toMatch(/^[0-9a-f]{64}$/);
    expect(good.slice(0, 64)).toBe(sha);
    expect(sim.stats().archive.checksums).toBeGreaterThanOrEqual(2);
  });
});

describe('binance archive builds', () => {
  const gen = new SimCandles(instrumentSpec('BTC-USDT'), 'binance', 7, 0.6, 5);
  const month = (m: number) => `/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-${pad(m)}.zip`;

  it('builds a month a day at a time, the event loop turning between days', async () => {
    const server = new BinanceArchiveServer(
      (s) => (s === 'BTCUSDT' ? gen : null),
      () => Date.UTC(2025, 0, 1),
    );
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const pending = server.handle(month(3));
    expect(pending).toBeInstanceOf(Promise);
    const reply = await pending;
    running = false;
    // 31 days, a yield between each: the loop turned at least 30 times while the zip was built.
    expect(ticks).toBeGreaterThanOrEqual(30);
    expect(reply?.status).toBe(200);
    const csv = new TextDecoder().decode(
      unzipSync(reply?.body ?? new Uint8Array())['BTCUSDT-1m-2024-03.csv'],
    );
    const rows = csv.trimEnd().split('\n');
    expect(rows).toHaveLength(31 * 1_440);
    expect(rows[1_440]?.split(',')[0]).toBe(String(Date.UTC(2024, 2, 2)));
  });

  it('keeps the last 4 files built, least recently used forgotten first; concurrent asks share a build', async () => {
    const server = new BinanceArchiveServer(
      (s) => (s === 'BTCUSDT' ? gen : null),
      () => Date.UTC(2025, 0, 1),
    );
    const day = (d: number) => `/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-05-${pad(d)}.zip`;
    const [a, b] = await Promise.all([server.handle(day(1)), server.handle(`${day(1)}.CHECKSUM`)]);
    expect(server.stats.builds).toBe(1);
    const sha = createHash('sha256')
      .update(a?.body ?? new Uint8Array())
      .digest('hex');
    expect(new TextDecoder().decode(b?.body).slice(0, 64)).toBe(sha);
    for (const d of [2, 3, 4]) await server.handle(day(d));
    await server.handle(day(1)); // used again: now the most recent
    await server.handle(day(5)); // forgets day 2, the least recently used
    expect(server.stats.builds).toBe(5);
    await server.handle(day(1));
    expect(server.stats.builds).toBe(5);
    await server.handle(day(2));
    expect(server.stats.builds).toBe(6);
    // Rebuilt: the same bytes.
    expect((await server.handle(day(1)))?.body).toEqual(a?.body);
  });
});
