/**
 * "Use this price": a click on a depth ladder row, heard by whatever owns a price field (the Trade
 * screen's order ticket). A DOM event keeps the ladder free of the ticket's state, and a screen without a
 * ticket simply has no listener.
 */
export const PRICE_PICK_EVENT = 'qt:price-pick';

export interface PricePick {
  venue: string;
  symbol: string;
  /** The level's price, canonical decimal string (as the engine sent it). */
  price: string;
}

export function emitPricePick(pick: PricePick): void {
  window.dispatchEvent(new CustomEvent<PricePick>(PRICE_PICK_EVENT, { detail: pick }));
}

/** Listens for picks of one market; returns the unsubscribe function (for a `useEffect` cleanup). */
export function onPricePick(venue: string, symbol: string, handle: (price: string) => void): () => void {
  const listener = (e: Event) => {
    const pick = (e as CustomEvent<PricePick>).detail;
    if (pick && pick.venue === venue && pick.symbol === symbol) handle(pick.price);
  };
  window.addEventListener(PRICE_PICK_EVENT, listener);
  return () => window.removeEventListener(PRICE_PICK_EVENT, listener);
}
