import { z } from 'zod';
import { decimalString } from '../market/schemas.ts';
import { positionSchema } from '../trading/schemas.ts';

export const deploymentPnlInput = z.strictObject({ deploymentId: z.uuid() });

/**
 * A deployment's own result, from the fills of the orders it placed (client order ids `st.<deployment>.…`):
 * manual orders on the same paper account and other deployments' orders do not count. Amounts are exact
 * decimal strings in the account's quote asset.
 */
export const deploymentPnlSchema = z.strictObject({
  deploymentId: z.uuid(),
  positions: z.array(positionSchema),
  realizedPnl: decimalString,
  /** Null while an open position has no mark price yet. */
  unrealizedPnl: decimalString.nullable(),
  fees: decimalString,
  netPnl: decimalString.nullable(),
  fills: z.number().int().nonnegative(),
  /** True when only the newest `fills` fills were read (very long-running deployments). */
  truncated: z.boolean(),
  /** Realized PnL net of fees after each fill (at most 500 points). */
  curve: z.array(z.strictObject({ time: z.number(), pnl: decimalString })),
});
export type DeploymentPnlView = z.infer<typeof deploymentPnlSchema>;
