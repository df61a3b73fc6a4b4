import { isDatabaseUnavailable } from '@qt/db';
import {
  AppError,
  isAppError,
  PLACE_MANY_MAX_ORDERS,
  type PlaceManyItemResult,
  type PlaceManyResult,
  type PlaceOrderInput,
  type TenantScope,
  type Tier,
  type TradingPort,
} from '@qt/shared';
import type { ApiLogger } from '../../context.ts';

/** Refuses a batch over the caller's plan's bound (checked before any budget is charged, and here again). */
export function checkPlaceManySize(tier: Tier, count: number): void {
  const max = PLACE_MANY_MAX_ORDERS[tier];
  if (count > max) {
    throw new AppError(
      'BATCH_TOO_LARGE',
      `orders.placeMany takes at most ${max} orders per call on the ${tier} plan; this one has ${count}. Split it.`,
      { maxOrders: max, orders: count, tier },
    );
  }
}

/**
 * Places each order through the port and answers each on its own. Orders of one account go one after
 * the other in input order (the engine serialises an account's orders anyway, and a repeated
 * clientOrderId must find the order placed before it); different accounts' orders go at once, so their
 * database writes share commits.
 *
 * A refusal is the item's typed error. A failure that is not one (database unreachable, a defect) is
 * answered per item too, because other items may already be placed: the caller must learn which.
 */
export async function placeMany(
  port: TradingPort,
  scope: TenantScope,
  inputs: readonly PlaceOrderInput[],
  logger: ApiLogger,
): Promise<PlaceManyResult> {
  const results: PlaceManyItemResult[] = port.placeMany
    ? await port.placeMany(scope, inputs)
    : await perItem(port, scope, inputs, logger);
  let placed = 0;
  for (const r of results) if (r.ok) placed++;
  return { results, placed, refused: results.length - placed };
}

async function perItem(
  port: TradingPort,
  scope: TenantScope,
  inputs: readonly PlaceOrderInput[],
  logger: ApiLogger,
): Promise<PlaceManyItemResult[]> {
  const results: PlaceManyItemResult[] = new Array(inputs.length);
  const byAccount = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    const list = byAccount.get(input.accountId);
    if (list) list.push(i);
    else byAccount.set(input.accountId, [i]);
  });
  await Promise.all(
    [...byAccount.values()].map(async (indexes) => {
      for (const i of indexes) {
        try {
          results[i] = { ok: true, order: await port.placeOrder(scope, inputs[i] as PlaceOrderInput) };
        } catch (err) {
          results[i] = { ok: false, error: itemError(err, logger) };
        }
      }
    }),
  );
  return results;
}

function itemError(
  err: unknown,
  logger: ApiLogger,
): { code: string; message: string; details: Record<string, unknown> | null } {
  if (isAppError(err))
    return { code: err.code, message: err.message, details: err.details ? { ...err.details } : null };
  if (isDatabaseUnavailable(err)) {
    logger.warn({ err: String(err), path: 'orders.placeMany' }, 'database unreachable');
    return {
      code: 'SERVICE_UNAVAILABLE',
      message:
        'The database is unreachable right now. Place this order again in a few seconds (with a clientOrderId, a retry never places it twice).',
      details: { dependency: 'database' },
    };
  }
  logger.error({ err, path: 'orders.placeMany' }, 'placing an order of a batch failed');
  return {
    code: 'INTERNAL',
    message: 'Internal error. It was logged; try again or contact support.',
    details: null,
  };
}
