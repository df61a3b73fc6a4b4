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
