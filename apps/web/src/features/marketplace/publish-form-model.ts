import { type PublishListingInput, publishListingInput, type StrategyInterval } from '@qt/shared';
import { parseDollars } from '../billing/money';

export interface TunableRow {
  key: string;
  name: string;
  min: string;
  max: string;
  default: string;
}

export interface FixedRow {
  key: string;
  name: string;
  value: string;
}

export type PriceKind = 'free' | 'month' | 'year';

/** The Publish form as typed. */
export interface PublishForm {
  strategyId: string;
  /** 0 = the latest version. */
  version: number;
  title: string;
  summary: string;
  description: string;
  /** Comma- or space-separated. */
  tags: string;
  instruments: PublishListingInput['instruments'];
  intervals: StrategyInterval[];
  tunable: TunableRow[];
  fixed: FixedRow[];
  priceKind: PriceKind;
  /** Dollars, as typed. */
  amount: string;
  trialDays: string;
}

export type PublishParse =
  | { ok: true; input: PublishListingInput }
  | { ok: false; errors: Record<string, string> };

const number = /^-?\d+(\.\d+)?$/;
const MAX_ROWS = 32;

let nextKey = 0;
export const rowKey = () => `r${++nextKey}`;

/**
 * The form → `marketplace.publish` input. The price is integer cents parsed from the typed dollars (no
 * float in between); parameter rows become the tunable list and the fixed defaults; a name used twice
 * is refused here, since the server would only say "invalid". Errors are keyed like the form's fields
 * (`title`, `amount`, `tunable.<rowKey>`, `fixed.<rowKey>`, ...).
 */
export function toPublishInput(form: PublishForm): PublishParse {
  const errors: Record<string, string> = {};
  if (!form.strategyId) errors.strategyId = 'Pick one of your strategies.';
  if (form.intervals.length === 0) errors.intervals = 'Pick at least one interval.';
  if (form.instruments.length === 0) errors.instruments = 'Pick at least one instrument.';
  if (form.tunable.length > MAX_ROWS) errors.tunable = `At most ${MAX_ROWS} tunable parameters.`;

  const seen = new Set<string>();
  const tunableParams: PublishListingInput['tunableParams'] = [];
  for (const row of form.tunable) {
    const name = row.name.trim();
    if (!name && !row.min.trim() && !row.max.trim() && !row.default.trim()) continue;
    const [min, max, def] = [row.min, row.max, row.default].map((v) => v.trim());
    if (!name || !min || !max || !def) {
      errors[`tunable.${row.key}`] = 'Fill in name, min, max and default.';
      continue;
    }
    if (![min, max, def].every((v) => number.test(v))) {
      errors[`tunable.${row.key}`] = 'Min, max and default must be numbers.';
      continue;
    }
    const p = { name, min: Number(min), max: Number(max), default: Number(def) };
    if (!(p.min <= p.default && p.default <= p.max)) {
      errors[`tunable.${row.key}`] = 'Need min ≤ default ≤ max.';
      continue;
    }
    if (seen.has(name)) {
      errors[`tunable.${row.key}`] = `${name} is listed twice.`;
      continue;
    }
    seen.add(name);
    tunableParams.push(p);
  }
  const defaultParams: Record<string, number> = {};
  for (const row of form.fixed) {
    const name = row.name.trim();
    const value = row.value.trim();
    if (!name && !value) continue;
    if (!name || !number.test(value)) {
      errors[`fixed.${row.key}`] = 'A name and a number.';
      continue;
    }
    if (seen.has(name)) {
      errors[`fixed.${row.key}`] = `${name} is already a tunable parameter (or listed twice).`;
      continue;
    }
    seen.add(name);
    defaultParams[name] = Number(value);
  }

  let price: PublishListingInput['price'] = { kind: 'free' };
  if (form.priceKind !== 'free') {
    const parsed = parseDollars(form.amount);
    const trial = form.trialDays.trim() || '0';
    if (!parsed.ok) errors.amount = parsed.message;
    else if (parsed.cents < 100 || parsed.cents > 1_000_000) errors.amount = 'Between $1.00 and $10,000.00.';
    if (!/^\d{1,2}$/.test(trial) || Number(trial) > 90) errors.trialDays = 'Whole days, 0 to 90.';
    if (parsed.ok)
      price = {
        kind: 'recurring',
        amountCents: parsed.cents,
        interval: form.priceKind,
        trialDays: Number(trial),
      };
  }

  const tags = form.tags
    .split(/[\s,]+/)
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const checked = publishListingInput.safeParse({
    strategyId: form.strategyId,
    version: form.version > 0 ? form.version : undefined,
    title: form.title,
    summary: form.summary,
    description: form.description,
    tags,
    instruments: form.instruments,
    intervals: form.intervals,
    tunableParams,
    defaultParams,
    price,
  });
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = String(issue.path[0] ?? 'form');
      errors[field === 'price' ? 'amount' : field] ??= issue.message;
    }
    return { ok: false, errors };
  }
  return { ok: true, input: checked.data };
}
