import {
  compareDecimal,
  formatScaled,
  isDecimalString,
  mulDecimal,
  type OrderSide,
  type OrderType,
  type PlaceOrderInput,
  parseScaled,
  scaleOf,
  type TimeInForce,
} from '@qt/shared';

/** The ticket as typed: every amount is the text in its field. */
export interface TicketDraft {
  side: OrderSide;
  type: OrderType;
  quantity: string;
  price: string;
  stopPrice: string;
  timeInForce: TimeInForce;
  postOnly: boolean;
}

/** The instrument's precision (from `market.instruments`); null while unknown, when only shape is checked. */
export interface TicketRules {
  tickSize: string;
  lotSize: string;
  minNotional: string;
  /** The quote currency, so limits are said with their unit ("minimum of 5 USDT"). */
  quote?: string;
}

export type TicketField = 'quantity' | 'price' | 'stopPrice' | 'form';

/** A problem found before sending, with the same stable code the engine would answer with. */
export interface TicketIssue {
  code: string;
  message: string;
}

export interface TicketCheck {
  issues: Partial<Record<TicketField, TicketIssue>>;
  /** quantity x the price the order is judged at, exact; null while either is missing or malformed. */
  notional: string | null;
  /** Which price the notional uses: the limit or stop price typed, or the last trade (market orders). */
  notionalBasis: 'price' | 'stop' | 'last' | null;
  /** What to send when there are no issues. */
  order: Omit<PlaceOrderInput, 'accountId' | 'venue' | 'symbol' | 'clientOrderId'> | null;
}

export const typeNeedsPrice = (t: OrderType) => t === 'limit' || t === 'stop_limit';
export const typeNeedsStop = (t: OrderType) => t === 'stop_market' || t === 'stop_limit';
/** Time in force only means something for an order that can rest on the book at a price. */
export const typeTakesTimeInForce = typeNeedsPrice;

/** True when `value` is a whole number of `step`s, compared exactly at the finer of the two scales. */
export function isMultipleOf(value: string, step: string): boolean {
  const scale = Math.max(scaleOf(value), scaleOf(step));
  const s = parseScaled(step, scale);
  return s > 0n && parseScaled(value, scale) % s === 0n;
}

/**
 * Rounds a decimal string to `decimals` places (half up), keeping at least `minDecimals`; for display
 * only: amounts are never rounded in state.
 */
export function roundDecimal(value: string, decimals: number, minDecimals = decimals): string {
  return formatScaled(parseScaled(value, decimals, 'halfUp'), decimals, minDecimals);
}

const shape = (text: string) => isDecimalString(text) && !text.startsWith('-');
const isZero = (text: string) => compareDecimal(text, '0') === 0;

function checkAmount(
  label: string,
  text: string,
  step: string | undefined,
  stepCode: string,
  stepName: string,
): TicketIssue | null {
  if (text === '') return { code: 'REQUIRED', message: `Enter a ${label.toLowerCase()}.` };
  if (!shape(text) || isZero(text))
    return { code: 'VALIDATION_FAILED', message: `${label} must be a positive number written like 123.45.` };
  if (step && !isMultipleOf(text, step))
    return { code: stepCode, message: `${label} must be a multiple of the ${stepName} ${step}.` };
  return null;
}

/**
 * Checks a ticket against the instrument's tick size, lot size and minimum notional before it is sent,
 * with exact decimal arithmetic on the strings as typed. The engine checks the same again; this only saves
 * a round trip and says what is wrong next to the field.
 */
export function checkTicket(
  draft: TicketDraft,
  rules: TicketRules | null,
  lastPrice: string | null,
): TicketCheck {
  const quantity = draft.quantity.trim();
  const price = draft.price.trim();
  const stopPrice = draft.stopPrice.trim();
  const needsPrice = typeNeedsPrice(draft.type);
  const needsStop = typeNeedsStop(draft.type);
  const issues: TicketCheck['issues'] = {};

  const q = checkAmount('Quantity', quantity, rules?.lotSize, 'ORDER_INVALID_LOT', 'lot size');
  if (q) issues.quantity = q;
  if (needsPrice) {
    const p = checkAmount('Price', price, rules?.tickSize, 'ORDER_INVALID_TICK', 'tick size');
    if (p) issues.price = p;
  }
  if (needsStop) {
    const s = checkAmount('Stop price', stopPrice, rules?.tickSize, 'ORDER_INVALID_TICK', 'tick size');
    if (s) issues.stopPrice = s;
  }

  const basis: TicketCheck['notionalBasis'] = needsPrice ? 'price' : needsStop ? 'stop' : 'last';
  const basisPrice = basis === 'price' ? price : basis === 'stop' ? stopPrice : (lastPrice ?? '');
  const notional =
    shape(quantity) && shape(basisPrice) && basisPrice !== '' ? mulDecimal(quantity, basisPrice) : null;
  if (
    rules &&
    notional !== null &&
    !issues.quantity &&
    !(basis === 'price' && issues.price) &&
    !(basis === 'stop' && issues.stopPrice) &&
    compareDecimal(notional, rules.minNotional) < 0
  ) {
    issues.form = {
      code: 'ORDER_BELOW_MIN_NOTIONAL',
      message: `The order is worth less than the minimum of ${rules.minNotional}${rules.quote ? ` ${rules.quote}` : ''}: raise the quantity.`,
    };
  }

  const ok = Object.keys(issues).length === 0;
  return {
    issues,
    notional,
    notionalBasis: notional === null ? null : basis,
    order: ok
      ? {
          side: draft.side,
          type: draft.type,
          quantity,
          ...(needsPrice ? { price } : {}),
          ...(needsStop ? { stopPrice } : {}),
          timeInForce: typeTakesTimeInForce(draft.type) ? draft.timeInForce : 'GTC',
          postOnly: draft.type === 'limit' && draft.postOnly,
        }
      : null,
  };
}
