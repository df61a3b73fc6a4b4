import { AppError, type MarketPort } from '@qt/shared';

const disabled = () =>
  new AppError('MARKET_DATA_DISABLED', 'Market data is switched off on this engine (MARKET_SOURCE=off).');

/** The market API when MARKET_SOURCE=off: nothing is served, and calls say why. */
export const marketDisabled: MarketPort = {
  candles: async () => {
    throw disabled();
  },
  recentTrades: async () => {
    throw disabled();
  },
  instruments: async () => {
    throw disabled();
  },
  feeds: () => {
    throw disabled();
  },
  liveCandles: () => {
    throw disabled();
  },
  liveTrades: () => {
    throw disabled();
  },
  quote: async () => {
    throw disabled();
  },
  liveQuotes: () => {
    throw disabled();
  },
  depth: async () => {
    throw disabled();
  },
  liveDepth: () => {
    throw disabled();
  },
  tickers: async () => {
    throw disabled();
  },
  liveTickers: () => {
    throw disabled();
  },
  follow: async () => {
    throw disabled();
  },
};
