import { decimalString, orderSide, orderType, timeInForce } from '@qt/shared';
import { z } from 'zod';

/**
 * A strategy's actions are untrusted (a user's WebAssembly module, or a script): each is checked before
 * it reaches risk and the matcher. Extra fields are ignored; a bad action is refused, not the run.
 */
export const strategyActionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('place'),
    handle: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    instrument: z.number().int().min(0),
    side: orderSide,
    type: orderType,
    quantity: decimalString,
    price: decimalString.nullable(),
    stopPrice: decimalString.nullable(),
    timeInForce,
    postOnly: z.boolean(),
  }),
  z.object({ kind: z.literal('cancel'), handle: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
  z.object({ kind: z.literal('cancelAll'), instrument: z.number().int().min(-1) }),
]);

export type CheckedAction = z.infer<typeof strategyActionSchema>;

/** decimalString's pattern (packages/shared market/schemas.ts), tested without going through zod. */
const DECIMAL = /^-?\d{1,30}(\.\d{1,18})?$/;
const SIDES: ReadonlySet<unknown> = new Set(orderSide.options);
const TYPES: ReadonlySet<unknown> = new Set(orderType.options);
const TIFS: ReadonlySet<unknown> = new Set(timeInForce.options);

/** z.number().int().min(lo): a safe integer (zod 4's int) at or above lo. */
const intFrom = (v: unknown, lo: number): boolean => Number.isSafeInteger(v) && (v as number) >= lo;
const decimal = (v: unknown): boolean => typeof v === 'string' && DECIMAL.test(v);

/**
 * The schema's rules written out, for the replay path (a backtest checks every action, tens of
 * thousands a run, and a zod parse costs microseconds and a copy of the action). It accepts a subset of
 * what the schema accepts, with the same values: when it says no, the schema decides and gives the
 * message, so a malformed action is refused exactly as before. A passing action is returned as it
 * came (its extra fields are never read), not copied; a refused one as the schema's first message.
 */
export function checkAction(raw: unknown): CheckedAction | string {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const a = raw as Record<string, unknown>;
    const kind = a.kind;
    if (kind === 'place') {
      if (
        intFrom(a.handle, 0) &&
        intFrom(a.instrument, 0) &&
        SIDES.has(a.side) &&
        TYPES.has(a.type) &&
        decimal(a.quantity) &&
        (a.price === null || decimal(a.price)) &&
        (a.stopPrice === null || decimal(a.stopPrice)) &&
        TIFS.has(a.timeInForce) &&
        typeof a.postOnly === 'boolean'
      ) {
        return raw as CheckedAction;
      }
    } else if (kind === 'cancel') {
      if (intFrom(a.handle, 0)) return raw as CheckedAction;
    } else if (kind === 'cancelAll') {
      if (intFrom(a.instrument, -1)) return raw as CheckedAction;
    }
  }
  const parsed = strategyActionSchema.safeParse(raw);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? '');
}
