// Everything in exports.ts plus qt_on_trade: re-export this instead of "./exports" when the strategy
// overrides onTrade. The host then calls the module once per venue trade on its instruments.

import { Side } from './abi';
import { Trade } from './events';
import { collectIfDue } from './gc';
import { registeredStrategy } from './strategy';

export * from './exports';

const trade = new Trade();

export function qt_on_trade(instrument: i32, time: f64, price: f64, quantity: f64, takerSide: i32): void {
  const strategy = registeredStrategy();
  if (strategy === null) return;
  trade.time = time;
  trade.price = price;
  trade.quantity = quantity;
  trade.takerSide = <Side>takerSide;
  strategy.onTrade(instrument, trade);
  collectIfDue();
}
