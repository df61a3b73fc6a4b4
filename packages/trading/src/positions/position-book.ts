import type { Posting } from '../ledger/posting.ts';
import { applyFillToPosition, emptyPosition, type Position, type PositionFill } from './position.ts';

const keyOf = (accountId: string, venue: string, symbol: string): string => `${accountId}|${venue}|${symbol}`;

/**
 * Every position of every account, fed with booked fills. A fill id is applied at most once, like in the
 * ledger, so a redelivered fill cannot double a position. Rebuilt after a restart by re-applying the
 * stored fills in the ledger journal's order.
 */
export class PositionBook {
  readonly #positions = new Map<string, Position>();
  readonly #applied = new Set<string>();

  apply(fill: PositionFill): { position: Position; applied: boolean } {
    const key = keyOf(fill.accountId, fill.venue, fill.symbol);
    const current = this.#positions.get(key) ?? emptyPosition(fill.accountId, fill.venue, fill.symbol);
    if (this.#applied.has(fill.fillId)) return { position: current, applied: false };
    const position = applyFillToPosition(current, fill);
    this.#positions.set(key, position);
    this.#applied.add(fill.fillId);
    return { position, applied: true };
  }

  get(accountId: string, venue: string, symbol: string): Position | undefined {
    return this.#positions.get(keyOf(accountId, venue, symbol));
  }

  /** An account's positions (flat ones too: they still carry realized PnL), by venue then symbol. */
  list(accountId: string): Position[] {
    return [...this.#positions.values()]
      .filter((p) => p.accountId === accountId)
      .sort((a, b) =>
        a.venue === b.venue ? a.symbol.localeCompare(b.symbol) : a.venue.localeCompare(b.venue),
      );
  }
}

/** The position side of a booked fill posting (null for any other posting): feed it to `PositionBook`. */
export function positionFillFromPosting(p: Posting): PositionFill | null {
  if (p.type !== 'fill' || !p.fill || !p.order || p.fillId === null) return null;
  return {
    fillId: p.fillId,
    accountId: p.order.accountId,
    venue: p.order.venue,
    symbol: p.order.symbol,
    side: p.order.side,
    quantity: p.fill.quantity,
    quote: p.fill.quote,
    fee: p.fill.fee,
  };
}
