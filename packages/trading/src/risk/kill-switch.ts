import type { Clock } from '@qt/shared';
import { z } from 'zod';

/**
 * The last change of a kill switch: on or off, who, when, why. The caller stores the latest one per
 * account and per tenant and hands it to the engine; `null` means the switch was never touched (trading).
 */
export interface KillSwitchState {
  readonly halted: boolean;
  /** User id (or "system:<component>") of whoever flipped it. */
  readonly by: string;
  /** Engine clock, ms since the epoch. */
  readonly at: number;
  readonly reason: string;
}

export const killSwitchScope = z.enum(['account', 'tenant']);
export type KillSwitchScope = z.infer<typeof killSwitchScope>;

/** The kill-switch API's input; who and when come from the session and the clock, never the client. */
export const killSwitchInput = z.strictObject({
  scope: killSwitchScope,
  halted: z.boolean(),
  reason: z.string().trim().min(1).max(500),
});
export type KillSwitchInput = z.infer<typeof killSwitchInput>;

export function setKillSwitch(
  input: Pick<KillSwitchInput, 'halted' | 'reason'>,
  by: string,
  clock: Clock,
): KillSwitchState {
  return { halted: input.halted, by, at: clock.now(), reason: input.reason };
}

export interface ActiveHalt {
  readonly scope: KillSwitchScope;
  readonly by: string;
  readonly at: number;
  readonly reason: string;
}

/** The switch that halts the account, if any; the tenant's wins over the account's. */
export function activeHalt(switches: {
  readonly tenant: KillSwitchState | null;
  readonly account: KillSwitchState | null;
}): ActiveHalt | null {
  for (const scope of ['tenant', 'account'] as const) {
    const s = switches[scope];
    if (s?.halted) return { scope, by: s.by, at: s.at, reason: s.reason };
  }
  return null;
}
