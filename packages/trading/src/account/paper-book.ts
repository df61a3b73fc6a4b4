import type { OrderSide } from '@qt/shared';
import { Ledger } from '../ledger/ledger.ts';
import type { Posting } from '../ledger/posting.ts';
import type { OrderReservation } from '../ledger/reservation.ts';
import type { Position } from '../positions/position.ts';
import { PositionBook, positionFillFromPosting } from '../positions/position-book.ts';

/** An open order as the risk checks count it. */
export interface OpenOrder {
  readonly venue: string;
  readonly symbol: string;
  readonly side: OrderSide;
  /** Base quantity not filled yet. */
  readonly remaining: bigint;
}

/** What an account has open: all its orders, and the unfilled quantity per side on one instrument. */
export interface OpenExposure {
  readonly openOrders: number;
  readonly openBuyQuantity: bigint;
  readonly openSellQuantity: bigint;
}

const NONE: ReadonlyMap<string, OpenOrder> = new Map();

/**
 * The paper accounts' book: the ledger, the positions built from its fills and the index of open orders,
 * changed only by `apply(posting)`. The engine applies a posting once the database has it; a backtest
 * applies it at once. Either way the same postings make the same book.
 */
export class PaperBook {
  readonly ledger: Ledger;
  readonly positions: PositionBook;
  /** Open orders per account, by order id. */
  readonly #open = new Map<string, Map<string, OpenOrder>>();

  constructor(ledger = new Ledger(), positions = new PositionBook()) {
    this.ledger = ledger;
    this.positions = positions;
  }

  /**
   * A posting into the ledger (which refuses it whole or applies it whole), the positions and the
   * open-order index. Returns the position a fill changed, else null.
   */
  apply(p: Posting): Position | null {
    // A repeat of a posting the ledger holds changes nothing: its order copy is an old state (tracking
    // it would put a closed order back in the open-order index, counted by risk for ever).
    if (!this.ledger.apply(p).applied) return null;
    const fill = positionFillFromPosting(p);
    const position = fill === null ? null : this.positions.apply(fill).position;
    if (p.order !== null) this.track(p.order);
    return position;
  }

  /**
   * A stored posting replayed after a restart: ledger and positions only; the caller tracks the orders
   * the database says are open (`track`).
   */
  replay(p: Posting): void {
    this.ledger.apply(p);
    const fill = positionFillFromPosting(p);
    if (fill !== null) this.positions.apply(fill);
  }

  /** Follows an order's reservation: open orders are indexed (remaining quantity), closed ones leave. */
  track(r: OrderReservation): void {
    let open = this.#open.get(r.accountId);
    if (r.status === 'open') {
      if (!open) {
        open = new Map();
        this.#open.set(r.accountId, open);
      }
      open.set(r.orderId, {
        venue: r.venue,
        symbol: r.symbol,
        side: r.side,
        remaining: r.quantity - r.filledQuantity,
      });
    } else if (open?.delete(r.orderId) && open.size === 0) this.#open.delete(r.accountId);
  }

  isOpen(accountId: string, orderId: string): boolean {
    return this.#open.get(accountId)?.has(orderId) ?? false;
  }

  /** An account's open orders by id. */
  openOrders(accountId: string): ReadonlyMap<string, OpenOrder> {
    return this.#open.get(accountId) ?? NONE;
  }

  /**
   * What the risk checks count: every open order of the account, and the unfilled quantity per side on
   * (venue, symbol) when given. `except` leaves one order out (an amend counts the order it replaces as
   * gone).
   */
  exposure(
    accountId: string,
    venue: string | null,
    symbol: string | null,
    except: string | null = null,
  ): OpenExposure {
    let openOrders = 0;
    let openBuyQuantity = 0n;
    let openSellQuantity = 0n;
    for (const [id, o] of this.openOrders(accountId)) {
      if (id === except) continue;
      openOrders++;
      if (o.venue !== venue || o.symbol !== symbol) continue;
      if (o.side === 'buy') openBuyQuantity += o.remaining;
      else openSellQuantity += o.remaining;
    }
    return { openOrders, openBuyQuantity, openSellQuantity };
  }
}
