// The Quant-Trader strategy SDK for AssemblyScript (host ABI v1). Import from "@qt/strategy-sdk" and
// re-export the ABI functions from "@qt/strategy-sdk/exports" in your entry file; see docs/strategy-abi.md.

export * from './abi';
export { freeBase, freeQuote, now, position, setTimer } from './account';
export { Candle, Fill, Trade } from './events';
export { Indicator } from './indicator';
export {
  floorToLot,
  hasParam,
  instrumentCount,
  instrumentIndex,
  instrumentName,
  lotSize,
  param,
  paramCount,
  paramInt,
  paramName,
  paramValue,
  tickSize,
} from './init-record';
export { log } from './log';
export {
  buy,
  cancel,
  cancelAll,
  limitBuy,
  limitSell,
  placeOrder,
  sell,
  stopLimit,
  stopMarket,
} from './orders';
export { register, Strategy } from './strategy';
