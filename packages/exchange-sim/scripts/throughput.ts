import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { startExchangeSim } from '../src/index.ts';

/**
 * How many trades per second the simulator sustains on its own core, with one client per venue (in a
 * worker thread, so it has its own core) subscribed to every symbol's trades.
 * `npx tsx packages/exchange-sim/scripts/throughput.ts [totalTradesPerSecond] [seconds]`
 */
const total = Number(process.argv[2] ?? 250_000);
const seconds = Number(process.argv[3] ?? 5);
const symbols = 12;
const sim = await startExchangeSim({ tradesPerSecond: total / 3 / symbols, seed: 1 });
const u = sim.urls[0];
if (!u) throw new Error('no endpoint');
const syms = sim.instruments('binance');
const targets = [
  {
    url: `${u.binance.ws}/stream?streams=${syms.map((s) => `${s.venueSymbol.toLowerCase()}@trade`).join('/')}`,
  },
  {
    url: `${u.okx.ws}/ws/v5/business`,
    sub: JSON.stringify({
      op: 'subscribe',
      args: syms.map((s) => ({ channel: 'trades-all', instId: s.symbol })),
    }),
  },
  {
    url: `${u.bybit.ws}/v5/public/spot`,
    sub: JSON.stringify({
      op: 'subscribe',
      args: syms.slice(0, 10).map((s) => `publicTrade.${s.base}${s.quote}`),
    }),
  },
  {
    url: `${u.bybit.ws}/v5/public/spot`,
    sub: JSON.stringify({
      op: 'subscribe',
      args: syms.slice(10).map((s) => `publicTrade.${s.base}${s.quote}`),
    }),
  },
];
const wsPath = createRequire(import.meta.url).resolve('ws');
const worker = new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   const WebSocket = require(workerData.wsPath);
   let frames = 0, bytes = 0;
   for (const t of workerData.targets) {
     const ws = new WebSocket(t.url);
     ws.on('open', () => { if (t.sub) ws.send(t.sub); });
     ws.on('message', (d) => { frames++; bytes += d.length; });
   }
   parentPort.on('message', () => { parentPort.postMessage({ frames, bytes }); frames = 0; bytes = 0; });`,
  { eval: true, workerData: { targets, wsPath } },
);
const sample = () =>
  new Promise<{ frames: number; bytes: number }>((r) => {
    worker.once('message', r);
    worker.postMessage(0);
  });
await new Promise((r) => setTimeout(r, 1000));
await sample();
const before = sim.stats();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const got = await sample();
const dt = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const after = sim.stats();
const sent = (['binance', 'okx', 'bybit'] as const).reduce(
  (s, v) => s + (after.tradesSent[v] ?? 0) - (before.tradesSent[v] ?? 0),
  0,
);
const generated = (['binance', 'okx', 'bybit'] as const).reduce(
  (s, v) => s + (after.tradesGenerated[v] ?? 0) - (before.tradesGenerated[v] ?? 0),
  0,
);
console.log(
  JSON.stringify({
    bench: 'exchange-sim.throughput',
    target: total,
    generatedPerSec: Math.round(generated / dt),
    sentPerSec: Math.round(sent / dt),
    clientFramesPerSec: Math.round(got.frames / dt),
    clientMBPerSec: +(got.bytes / dt / 1e6).toFixed(1),
    simCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / dt) * 100),
  }),
);
await worker.terminate();
await sim.stop();
