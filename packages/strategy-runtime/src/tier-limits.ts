import type { Tier } from '@qt/shared';

/** What one strategy may use, by the tenant's tier. */
export interface TierLimits {
  tier: Tier;
  /** Largest module accepted at upload, in bytes. */
  moduleBytes: number;
  /** Largest declared maximum linear memory, in 64 KiB pages (256 pages = 16 MiB). */
  memoryPages: number;
  /** Longest a single callback (or instantiation + qt_init) may run before the watchdog stops it. */
  callBudgetMs: number;
  /** Log lines kept per second; the rest are counted as dropped. */
  logLinesPerSecond: number;
}

const MIB = 1024 * 1024;

export const TIER_LIMITS: Readonly<Record<Tier, TierLimits>> = {
  FREE: { tier: 'FREE', moduleBytes: 1 * MIB, memoryPages: 256, callBudgetMs: 50, logLinesPerSecond: 20 },
  PRO: { tier: 'PRO', moduleBytes: 4 * MIB, memoryPages: 1024, callBudgetMs: 100, logLinesPerSecond: 100 },
  ENTERPRISE: {
    tier: 'ENTERPRISE',
    moduleBytes: 16 * MIB,
    memoryPages: 4096,
    callBudgetMs: 250,
    logLinesPerSecond: 500,
  },
};

export const WASM_PAGE_BYTES = 65_536;
