export { startExchangeSim } from './exchange-sim.ts';
export { defaultSymbols } from './instruments.ts';
export { defaultLimits, defaultTiming } from './options.ts';
export type {
  EndpointUrls,
  ExchangeSim,
  ExchangeSimFaults,
  ExchangeSimOptions,
  ExchangeSimStats,
  MalformedKind,
  SimInstrument,
  SimLimits,
  SimTiming,
  SimTrade,
  Venue,
} from './types.ts';
export { venues } from './types.ts';
