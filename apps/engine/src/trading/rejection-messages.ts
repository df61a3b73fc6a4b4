/** What a person reads when the matcher refuses an order: what went wrong and what to do about it. */
export function rejectionMessage(reason: string): string {
  switch (reason) {
    case 'ORDER_INVALID_TICK':
      return "The price is not a multiple of the instrument's tick size. Round it to the tick.";
    case 'ORDER_INVALID_LOT':
      return "The quantity is not a multiple of the instrument's lot size. Round it to the lot.";
    case 'ORDER_BELOW_MIN_NOTIONAL':
      return "The order is smaller than the instrument's minimum notional. Increase the quantity.";
    case 'ORDER_INVALID_PRICE':
      return 'The price is not usable for this order type.';
    case 'POST_ONLY_WOULD_TAKE':
      return 'A post-only order would have taken liquidity at this price. Move the price away from the market.';
    case 'MARKET_UNKNOWN_INSTRUMENT':
      return 'This venue does not list that symbol for paper trading.';
    case 'MARKET_HALTED':
      return 'Trading on this instrument is halted. Try again when it resumes.';
    case 'MARKET_NO_DATA':
      return 'No market price for this instrument yet. Wait for market data, or use a limit order.';
    default:
      return `The order was rejected (${reason}).`;
  }
}
