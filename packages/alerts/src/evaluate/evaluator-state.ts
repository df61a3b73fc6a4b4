import { z } from 'zod';

const encodedNumber = z.union([z.number(), z.strictObject({ n: z.string() })]);

/**
 * Everything the evaluator needs to resume exactly where it stopped, as plain JSON. The engine stores it
 * together with the stream positions it had committed (trades and candles), in one transaction, and on
 * start restores it before resuming the streams from those positions: no firing is repeated (trades at or
 * before the saved position are late or duplicates for the restored state) and none is missed.
 * Prices are decimal strings; -Infinity/NaN timestamps are null.
 */
export const evaluatorStateSchema = z.strictObject({
  version: z.literal(1),
  markets: z.array(
    z.strictObject({
      venue: z.string(),
      symbol: z.string(),
      lastPrice: z.string().nullable(),
      lastTs: z.number().nullable(),
      /** Trade ids seen at lastTs: a trade with the same ts and one of these ids is a duplicate. */
      idsAtLastTs: z.array(z.string()),
      moves: z.array(
        z.strictObject({
          windowMs: z.number().int(),
          direction: z.enum(['up', 'down']),
          ts: z.array(z.number()),
          prices: z.array(z.string()),
        }),
      ),
    }),
  ),
  series: z.array(
    z.strictObject({
      venue: z.string(),
      symbol: z.string(),
      interval: z.string(),
      lastOpenTime: z.number().nullable(),
      prevClose: z.string().nullable(),
      close: z.string().nullable(),
      prevCloseF64: encodedNumber,
      closeF64: encodedNumber,
      volumes: z.array(z.string()),
      indicators: z.array(
        z.strictObject({
          kind: z.enum(['rsi', 'macd', 'bbands', 'ema']),
          params: z.record(z.string(), z.number()),
          state: z.record(z.string(), z.unknown()),
          prev: z.array(encodedNumber),
          cur: z.array(encodedNumber),
          /** Bars pushed (warm-up progress); absent in snapshots written before it was stored. */
          pushed: z.number().int().nonnegative().optional(),
          /** Warm-up state (see WarmupState); absent in snapshots written before it was stored. */
          warmup: z.enum(['none', 'wanted', 'queued', 'seeding', 'done']).optional(),
        }),
      ),
    }),
  ),
  alerts: z.array(
    z.strictObject({
      id: z.string(),
      done: z.boolean(),
      lastFiredAt: z.number().nullable(),
      lastFiredBar: z.number().nullable(),
    }),
  ),
  /** Data-quality event ids already evaluated (the newest RECENT_EVENTS). */
  recentEvents: z.array(z.string()),
});
export type EvaluatorState = z.infer<typeof evaluatorStateSchema>;
