import { OrderTypeCode, Side, TimeInForceCode } from './abi';
import * as qt from './qt';

// Every function returns the order's handle (> 0), or a negative HostError. A handle only means the host
// accepted the request for this call's batch: risk checks run after the call returns, and a rejection
// arrives later through Strategy.onOrder with OrderStatusCode.rejected.
//
// Quantities and prices are f64 here; the host rounds quantity toward zero to the lot and prices to the
// tick (buy limits down, sell limits up), then carries them as exact decimals. Unused prices are sent as 0.

export function placeOrder(
  instrument: i32,
  side: Side,
  type: OrderTypeCode,
  quantity: f64,
  price: f64,
  stopPrice: f64,
  timeInForce: TimeInForceCode,
  postOnly: bool,
): i32 {
  return qt.place_order(instrument, side, type, quantity, price, stopPrice, timeInForce, postOnly ? 1 : 0);
}

/** Market buy of `quantity` base units. */
export function buy(instrument: i32, quantity: f64): i32 {
  return placeOrder(instrument, Side.buy, OrderTypeCode.market, quantity, 0, 0, TimeInForceCode.IOC, false);
}

/** Market sell of `quantity` base units. */
export function sell(instrument: i32, quantity: f64): i32 {
  return placeOrder(instrument, Side.sell, OrderTypeCode.market, quantity, 0, 0, TimeInForceCode.IOC, false);
}

export function limitBuy(
  instrument: i32,
  quantity: f64,
  price: f64,
  timeInForce: TimeInForceCode = TimeInForceCode.GTC,
  postOnly: bool = false,
): i32 {
  return placeOrder(instrument, Side.buy, OrderTypeCode.limit, quantity, price, 0, timeInForce, postOnly);
}

export function limitSell(
  instrument: i32,
  quantity: f64,
  price: f64,
  timeInForce: TimeInForceCode = TimeInForceCode.GTC,
  postOnly: bool = false,
): i32 {
  return placeOrder(instrument, Side.sell, OrderTypeCode.limit, quantity, price, 0, timeInForce, postOnly);
}

/** A market order that triggers when the last price reaches `stopPrice`. */
export function stopMarket(instrument: i32, side: Side, quantity: f64, stopPrice: f64): i32 {
  return placeOrder(
    instrument,
    side,
    OrderTypeCode.stop_market,
    quantity,
    0,
    stopPrice,
    TimeInForceCode.GTC,
    false,
  );
}

/** A limit order at `price` placed when the last price reaches `stopPrice`. */
export function stopLimit(
  instrument: i32,
  side: Side,
  quantity: f64,
  price: f64,
  stopPrice: f64,
  timeInForce: TimeInForceCode = TimeInForceCode.GTC,
): i32 {
  return placeOrder(
    instrument,
    side,
    OrderTypeCode.stop_limit,
    quantity,
    price,
    stopPrice,
    timeInForce,
    false,
  );
}

/** Cancels one open order by handle: 0, or HostError.ERR_UNKNOWN_HANDLE. */
export function cancel(handle: i32): i32 {
  return qt.cancel_order(handle);
}

/** Cancels every open order on `instrument`, or on all instruments with -1 (the default). */
export function cancelAll(instrument: i32 = -1): i32 {
  return qt.cancel_all(instrument);
}
