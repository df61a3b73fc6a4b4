import { AppError, type StrategyParams, type TunableParam } from '@qt/shared';

/** The most parameters a deployment takes (the strategies' own bound). */
const MAX_PARAMS = 32;

/**
 * A seller's tunable set at publish: unique names, min <= default <= max, and a fixed value of the same
 * name (if any) within the bounds too: the tunable default replaces it, and a fixed value outside the
 * bounds would mean the seller's own numbers were computed with a value no buyer can choose.
 */
export function checkTunableParams(tunable: readonly TunableParam[], defaults: StrategyParams): void {
  const seen = new Set<string>();
  for (const p of tunable) {
    if (seen.has(p.name)) throw invalid(`Parameter ${p.name} is listed twice.`, p.name);
    seen.add(p.name);
    if (!(p.min <= p.default && p.default <= p.max))
      throw invalid(`Parameter ${p.name}: need min <= default <= max.`, p.name);
    const fixed = defaults[p.name];
    if (fixed !== undefined && (fixed < p.min || fixed > p.max))
      throw invalid(
        `Parameter ${p.name}: its default value ${fixed} is outside [${p.min}, ${p.max}].`,
        p.name,
      );
  }
  const names = new Set([...Object.keys(defaults), ...seen]);
  if (names.size > MAX_PARAMS) throw invalid(`At most ${MAX_PARAMS} parameters in all.`, null);
}

/** The listing's own parameters: the seller's fixed values, then each tunable's default. */
export function listingDefaultParams(
  tunable: readonly TunableParam[],
  defaults: StrategyParams,
): StrategyParams {
  const out: StrategyParams = { ...defaults };
  for (const p of tunable) out[p.name] = p.default;
  return out;
}

/**
 * A buyer's parameters merged over the listing's: only tunable names, each within its bounds
 * (LISTING_PARAM_NOT_ALLOWED otherwise, naming the parameter).
 */
export function buyerParams(
  tunable: readonly TunableParam[],
  defaults: StrategyParams,
  input: StrategyParams,
): StrategyParams {
  const byName = new Map(tunable.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(input)) {
    const p = byName.get(name);
    if (!p)
      throw new AppError(
        'LISTING_PARAM_NOT_ALLOWED',
        `Parameter ${name} is not one this listing lets you set.`,
        {
          param: name,
        },
      );
    if (!Number.isFinite(value) || value < p.min || value > p.max)
      throw new AppError(
        'LISTING_PARAM_NOT_ALLOWED',
        `Parameter ${name} must be between ${p.min} and ${p.max}.`,
        { param: name, min: p.min, max: p.max },
      );
  }
  return { ...listingDefaultParams(tunable, defaults), ...input };
}

function invalid(message: string, param: string | null): AppError {
  return new AppError('VALIDATION_FAILED', message, param ? { param } : {});
}
