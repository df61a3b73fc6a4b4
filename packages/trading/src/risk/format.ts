import { divRound, formatScaled } from '@qt/shared';
import { formatAmount } from '../amounts.ts';

/** Message helpers: amounts as the decimal strings a person types, basis points as percentages. */
export const amount = formatAmount;

export const percent = (bps: number | bigint): string => `${formatScaled(BigInt(bps), 2)}%`;

/** `part` as basis points of `whole` (> 0), rounded half up; for messages, never for decisions. */
export const bpsOf = (part: bigint, whole: bigint): number =>
  Number(divRound(part * 10_000n, whole, 'halfUp'));

export const iso = (ms: number): string => new Date(ms).toISOString();

export function assets(symbol: string): { base: string; quote: string } {
  const [base = symbol, quote = ''] = symbol.split('-');
  return { base, quote };
}
