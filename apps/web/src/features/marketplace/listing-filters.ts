import { type SearchListingsInput, searchListingsInput } from '@qt/shared';
import { parseDollars } from '../billing/money';

export type ListingSort = SearchListingsInput['sort'];

/** The marketplace filters as typed into the form: strings, percentages and dollars as people write them. */
export interface ListingFilterForm {
  q: string;
  /** `venue:SYMBOL`, or empty for any market. */
  market: string;
  tag: string;
  /** Percent: `10` = at least +10 % verified return. */
  minReturnPct: string;
  /** Percent: `20` = max drawdown at most 20 %. */
  maxDrawdownPct: string;
  minSharpe: string;
  /** Dollars per month. */
  maxPrice: string;
  freeOnly: boolean;
  sort: ListingSort;
}

export const emptyFilters: ListingFilterForm = {
  q: '',
  market: '',
  tag: '',
  minReturnPct: '',
  maxDrawdownPct: '',
  minSharpe: '',
  maxPrice: '',
  freeOnly: false,
  sort: 'return',
};

export const sortLabels: Record<ListingSort, string> = {
  return: 'Highest return',
  drawdown: 'Smallest drawdown',
  sharpe: 'Highest Sharpe',
  subscribers: 'Most subscribers',
  newest: 'Newest',
  price: 'Lowest price',
};

export type FilterResult =
  | { ok: true; input: Omit<SearchListingsInput, 'cursor'> }
  | { ok: false; errors: Partial<Record<keyof ListingFilterForm, string>> };

const PAGE_SIZE = 12;
const number = /^-?\d+(\.\d+)?$/;

/**
 * The form → `marketplace.search` input. Percentages become fractions (the API's unit for returns and
 * drawdowns: statistics, not money); the price cap becomes integer cents from the typed digits. A field
 * that does not parse is reported by name instead of being dropped silently.
 */
export function filtersToInput(form: ListingFilterForm): FilterResult {
  const errors: Partial<Record<keyof ListingFilterForm, string>> = {};
  const pct = (key: 'minReturnPct' | 'maxDrawdownPct', allowNegative: boolean) => {
    const t = form[key].trim().replace(/%$/, '').trim();
    if (!t) return undefined;
    if (!number.test(t) || (!allowNegative && t.startsWith('-'))) {
      errors[key] = allowNegative ? 'A percentage, like 10 or -5.' : 'A percentage, like 20.';
      return undefined;
    }
    return Number(t) / 100;
  };
  const minReturn = pct('minReturnPct', true);
  const maxDrawdown = pct('maxDrawdownPct', false);
  let minSharpe: number | undefined;
  const s = form.minSharpe.trim();
  if (s) {
    if (number.test(s)) minSharpe = Number(s);
    else errors.minSharpe = 'A number, like 1.5.';
  }
  let maxPriceCents: number | undefined;
  if (form.freeOnly) maxPriceCents = 0;
  else if (form.maxPrice.trim()) {
    const parsed = parseDollars(form.maxPrice);
    if (parsed.ok) maxPriceCents = parsed.cents;
    else errors.maxPrice = parsed.message;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const checked = searchListingsInput.safeParse({
    q: form.q.trim() || undefined,
    market: form.market || undefined,
    tag: form.tag.trim().toLowerCase() || undefined,
    minReturn,
    maxDrawdown,
    minSharpe,
    maxPriceCents,
    sort: form.sort,
    limit: PAGE_SIZE,
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = String(issue?.path[0] ?? 'q');
    const key: keyof ListingFilterForm = field === 'q' || field === 'tag' || field === 'market' ? field : 'q';
    return { ok: false, errors: { [key]: issue?.message ?? 'Check this filter.' } };
  }
  const { cursor: _cursor, ...input } = checked.data;
  return { ok: true, input };
}

/** Fractions as signed percentages for labels: 0.1234 → `+12.34%`; null → dash. Display only. */
export function percentText(v: number | null | undefined, signed = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const text = `${(v * 100).toFixed(2)}%`;
  return signed && v > 0 ? `+${text}` : text;
}

/** Drawdown is a loss whichever sign the engine stored it with. */
export function drawdownText(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : percentText(-Math.abs(v));
}

export function sharpeText(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2);
}

/** The first 12 hex digits of a module hash: enough to tell versions apart at a glance. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}
