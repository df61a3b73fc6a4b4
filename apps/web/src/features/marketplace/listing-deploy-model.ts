import type { TunableParam } from '@qt/shared';

export type TunableParse =
  | { ok: true; params: Record<string, number> }
  | { ok: false; errors: Record<string, string> };

const number = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * The buyer's tunable values as typed → parameters for `marketplace.deploy`. Only the listing's tunable
 * names are sent, each within the seller's bounds (the server checks again: LISTING_PARAM_NOT_ALLOWED);
 * an empty field keeps the seller's default and is left out. These are strategy parameters (periods,
 * thresholds), not money.
 */
export function parseTunables(
  values: Record<string, string>,
  tunables: readonly TunableParam[],
): TunableParse {
  const params: Record<string, number> = {};
  const errors: Record<string, string> = {};
  for (const t of tunables) {
    const raw = (values[t.name] ?? '').trim();
    if (!raw) continue;
    if (!number.test(raw)) {
      errors[t.name] = 'A number.';
      continue;
    }
    const v = Number(raw);
    if (!Number.isFinite(v) || v < t.min || v > t.max) {
      errors[t.name] = `Between ${t.min} and ${t.max}.`;
      continue;
    }
    if (v !== t.default) params[t.name] = v;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, params };
}
