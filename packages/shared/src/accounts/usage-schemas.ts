import { z } from 'zod';
import { tierSchema } from './roles.ts';

/** One tenant's metered usage on one UTC day. Counts are whole numbers (JSON numbers: far below 2^53). */
export const usageDaySchema = z.object({
  /** YYYY-MM-DD (UTC). */
  day: z.string(),
  /** Weighted requests (the units the request budgets count). */
  requests: z.number().int().nonnegative(),
  orders: z.number().int().nonnegative(),
  /** Candles replayed by backtests that finished that day. */
  backtestCandles: z.number().int().nonnegative(),
  backtests: z.number().int().nonnegative(),
  /** Milliseconds spent inside strategy calls in the sandbox. */
  strategyCpuMs: z.number().int().nonnegative(),
  alertsFired: z.number().int().nonnegative(),
  /** Rows the tenant holds (orders, fills, ledger postings, strategies, backtests); sampled on reads. */
  storageRows: z.number().int().nonnegative(),
});
export type UsageDay = z.infer<typeof usageDaySchema>;

const budgetView = z.object({
  limit: z.number().int(),
  windowSeconds: z.number().int(),
  burst: z.number().int(),
});

/** The limits a usage page compares against (the tier table's row with the tenant's overrides). */
export const usageLimitsSchema = z.object({
  perKey: budgetView,
  perTenant: budgetView,
  orders: budgetView,
  wsConnections: z.number().int(),
  wsSubscriptions: z.number().int(),
  backtestsPerDay: z.number().int(),
  historyDays: z.number().int(),
  activeAlerts: z.number().int(),
  deployments: z.number().int(),
  backtests: z.number().int(),
  apiKeys: z.number().int(),
  paperAccounts: z.number().int(),
  backtestCandles: z.number().int(),
});
export type UsageLimits = z.infer<typeof usageLimitsSchema>;

/** A limit the tenant is close to (>= 80% used) or at. */
export const usageWarningSchema = z.object({
  what: z.enum(['requests', 'orders', 'backtests']),
  used: z.number(),
  limit: z.number(),
  /** used / limit, 0..1+. */
  fraction: z.number(),
});

export const usageTodaySchema = z.object({
  tier: tierSchema,
  nextTier: tierSchema.nullable(),
  limits: usageLimitsSchema,
  /** Daily ceilings implied by the budgets (sustained rate over 24 h), for "today against the tier". */
  dailyCeilings: z.object({ requests: z.number().int(), orders: z.number().int() }),
  today: usageDaySchema,
  warnings: z.array(usageWarningSchema),
});
export type UsageToday = z.infer<typeof usageTodaySchema>;

export const usageHistoryInput = z
  .strictObject({ days: z.number().int().min(1).max(90).default(30) })
  .default({
    days: 30,
  });
export const usageHistorySchema = z.object({ days: z.array(usageDaySchema) });
export type UsageHistory = z.infer<typeof usageHistorySchema>;
