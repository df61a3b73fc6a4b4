/**
 * Child-process entry of bench/lib/sim-child.ts: runs @qt/exchange-sim on its own event loop, stamping
 * frames with `monoMicros()`, and answers the parent over IPC (`rate`, `stats`, `stop`). Exits when the
 * parent goes away.
 */
import { startExchangeSim } from '@qt/exchange-sim';
import { monoMicros, type SimChildOptions } from './sim-child.ts';

const send = (m: Record<string, unknown>) => process.send?.(m);
const opts = JSON.parse(process.argv[2] ?? '{}') as SimChildOptions;
const sim = await startExchangeSim({
  port: 0,
  symbols: [...opts.symbols],
  tradesPerSecond: opts.tradesPerSecond,
  seed: opts.seed,
  clock: { now: monoMicros },
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await sim.stop().catch(() => {});
  process.exit(0);
}

process.on('message', (m: { id: number; op: string; rate?: number }) => {
  try {
    if (m.op === 'rate') {
      sim.faults.setRate(Number(m.rate));
      send({ id: m.id });
    } else if (m.op === 'stats') {
      const cpu = process.cpuUsage();
      send({ id: m.id, stats: { ...sim.stats(), cpuMicros: cpu.user + cpu.system } });
    } else if (m.op === 'stop') {
      void stop();
    }
  } catch (err) {
    send({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
send({ id: 0, urls: sim.urls[0] });
