import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndpointUrls, ExchangeSimStats } from '@qt/exchange-sim';

/**
 * The exchange simulator in its own process (bench/lib/sim-process.ts), so it does not share an event
 * loop with the system under test, driven over IPC: change the rate, read its counters, stop it.
 */

/**
 * Microseconds on CLOCK_MONOTONIC (what `process.hrtime` reads on Linux: one clock for every process on
 * the machine), offset so the value has 13 digits like a millisecond epoch timestamp and frames keep
 * their usual length. The simulator child stamps trades with it (`E`/`T`/`ts`), the consumer reads it
 * on receipt: their difference is the wire -> consumer latency in microseconds.
 */
export function monoMicros(): number {
  const [s, ns] = process.hrtime();
  return MONO_OFFSET_US + s * 1_000_000 + Math.floor(ns / 1000);
}
const MONO_OFFSET_US = 1_700_000_000_000;

export interface SimChildOptions {
  symbols: readonly string[];
  /** Trades per second per venue per symbol. */
  tradesPerSecond: number;
  seed: number;
}

export interface SimChildStats extends ExchangeSimStats {
  /** The child's CPU time (user + system) so far, microseconds. */
  cpuMicros: number;
}

export interface SimChild {
  urls: EndpointUrls;
  pid: number;
  setRate(tradesPerSecond: number): Promise<void>;
  stats(): Promise<SimChildStats>;
  stop(): Promise<void>;
}

interface Reply {
  id: number;
  urls?: EndpointUrls;
  stats?: SimChildStats;
  error?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startSimChild(opts: SimChildOptions): Promise<SimChild> {
  const child: ChildProcess = fork(join(here, 'sim-process.ts'), [JSON.stringify(opts)], {
    cwd: join(here, '..', '..'),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Never leave the simulator behind, whatever way this process ends.
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let next = 0;
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  child.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`simulator: ${m.error}`));
    else w.resolve(m);
  });
  void exited.then(() => {
    for (const w of waiting.values()) w.reject(new Error('simulator process exited'));
    waiting.clear();
  });
  const call = (msg: Record<string, unknown>, id = ++next): Promise<Reply> =>
    new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      child.send({ ...msg, id });
    });

  // The child announces itself with id 0 once listening.
  const ready = await new Promise<Reply>((resolve, reject) => {
    waiting.set(0, { resolve, reject });
    setTimeout(() => reject(new Error('simulator did not start within 30 s')), 30_000).unref();
  }).catch((err: unknown) => {
    kill();
    throw err;
  });
  const urls = ready.urls as EndpointUrls;
  return {
    urls,
    pid: child.pid ?? -1,
    setRate: async (tradesPerSecond) => {
      await call({ op: 'rate', rate: tradesPerSecond });
    },
    stats: async () => (await call({ op: 'stats' })).stats as SimChildStats,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ op: 'stop', id: ++next });
        const timer = setTimeout(kill, 5_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', kill);
    },
  };
}
