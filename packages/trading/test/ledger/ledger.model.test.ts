import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FillInput,
  isLedgerError,
  isPaperAccount,
  Ledger,
  type LedgerErrorCode,
  paperAccount,
  remainingReservation,
  sumByAsset,
} from '../../src/ledger/index.ts';
import { ALICE, BOB, snapshot, T0, u } from './fixtures.ts';

/*
 * Model-based test of the ledger: random deposit / place / partial fill /
 * full fill / cancel / withdraw / redelivery sequences run against the Ledger and against a plain
 * reference model written straight from the documented rules; after every step the invariants hold and
 * the two agree on every balance and on every accept/refuse decision.
 */

const ONE = 10n ** 18n;
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b; // a >= 0, b > 0
const ACCOUNTS = [ALICE, BOB] as const;
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'ETH-BTC'] as const;
const ASSETS = ['BTC', 'ETH', 'USDT'] as const;

interface ModelOrder {
  id: string;
  accountId: string;
  side: 'buy' | 'sell';
  base: string;
  quote: string;
  quantity: bigint;
  limit: bigint | null;
  taker: bigint;
  notionalCap: bigint;
  feeCap: bigint;
  paid: bigint;
  filled: bigint;
  notionalExact: bigint;
  quoteTotal: bigint;
  feeExact: bigint;
  feeTotal: bigint;
}

interface Model {
  free: Map<string, bigint>;
  locked: Map<string, bigint>;
  open: ModelOrder[];
  fills: FillInput[];
  next: number;
  /** Journal postings already checked to sum to zero. */
  checked: number;
}

interface Real {
  ledger: Ledger;
}

const key = (accountId: string, asset: string): string => `${accountId}|${asset}`;
const get = (m: Map<string, bigint>, accountId: string, asset: string): bigint =>
  m.get(key(accountId, asset)) ?? 0n;
const add = (m: Map<string, bigint>, accountId: string, asset: string, amount: bigint): void => {
  m.set(key(accountId, asset), get(m, accountId, asset) + amount);
};
const lockedAsset = (o: ModelOrder): string => (o.side === 'buy' ? o.quote : o.base);
const reservedLeft = (o: ModelOrder): bigint => o.notionalCap + o.feeCap - o.paid;

/** Runs `act`; asserts it throws `code` exactly when the model expects a refusal, with nothing changed. */
function expectOutcome(real: Real, refusal: LedgerErrorCode | null, act: () => void): boolean {
  const before = snapshot(real.ledger);
  try {
    act();
  } catch (err) {
    if (!isLedgerError(err) || err.code !== refusal) throw err;
    expect(snapshot(real.ledger)).toBe(before);
    return false;
  }
  expect(refusal).toBeNull();
  return true;
}

function checkInvariants(model: Model, real: Real): void {
  const { ledger } = real;
  const journal = ledger.journal();
  for (const p of journal.slice(model.checked)) {
    for (const sum of sumByAsset(p.entries).values()) expect(sum).toBe(0n);
  }
  model.checked = journal.length;
  for (const total of ledger.totals().values()) expect(total).toBe(0n);
  for (const e of ledger.entries()) if (isPaperAccount(e.account)) expect(e.amount >= 0n).toBe(true);
  for (const accountId of ACCOUNTS) {
    for (const asset of ASSETS) {
      const open = ledger.openOrders(accountId).filter((o) => o.lockedAsset === asset);
      const reserved = open.reduce((s, o) => s + remainingReservation(o), 0n);
      expect(ledger.balance(paperAccount(accountId, 'locked'), asset)).toBe(reserved);
      expect(ledger.balance(paperAccount(accountId, 'free'), asset)).toBe(get(model.free, accountId, asset));
      expect(ledger.balance(paperAccount(accountId, 'locked'), asset)).toBe(
        get(model.locked, accountId, asset),
      );
      const modelReserved = model.open
        .filter((o) => o.accountId === accountId && lockedAsset(o) === asset)
        .reduce((s, o) => s + reservedLeft(o), 0n);
      expect(get(model.locked, accountId, asset)).toBe(modelReserved);
    }
  }
  expect(
    ledger
      .openOrders()
      .map((o) => o.orderId)
      .sort(),
  ).toEqual(model.open.map((o) => o.id).sort());
  expect(ledger.reconcile().ok).toBe(true);
}

type Cmd = fc.Command<Model, Real>;

class Deposit implements Cmd {
  constructor(
    readonly accountId: string,
    readonly asset: string,
    readonly amount: bigint,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.ledger.deposit({
      id: `d${model.next++}`,
      accountId: this.accountId,
      asset: this.asset,
      amount: this.amount,
      time: T0,
    });
    add(model.free, this.accountId, this.asset, this.amount);
    checkInvariants(model, real);
  }
  toString = () => `deposit(${this.accountId.slice(-1)}, ${this.amount} ${this.asset})`;
}

class Withdraw implements Cmd {
  /** `percent` of the free balance, at least one unit; above 100 it must be refused. */
  constructor(
    readonly accountId: string,
    readonly asset: string,
    readonly percent: bigint,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const have = get(model.free, this.accountId, this.asset);
    const amount = (have * this.percent) / 100n + (this.percent > 100n ? 1n : 0n) || 1n;
    const refusal = amount > have ? 'LEDGER_INSUFFICIENT_FUNDS' : null;
    const input = { id: `w${model.next++}`, accountId: this.accountId, asset: this.asset, amount, time: T0 };
    if (expectOutcome(real, refusal, () => real.ledger.withdraw(input)))
      add(model.free, this.accountId, this.asset, -amount);
    checkInvariants(model, real);
  }
  toString = () => `withdraw(${this.accountId.slice(-1)}, ${this.percent}% ${this.asset})`;
}

class Place implements Cmd {
  constructor(
    readonly accountId: string,
    readonly symbol: string,
    readonly side: 'buy' | 'sell',
    readonly market: boolean,
    readonly price: bigint,
    readonly quantity: bigint,
    readonly slippagePercent: bigint,
    readonly taker: bigint,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const [base, quote] = this.symbol.split('-') as [string, string];
    const id = `o${model.next++}`;
    const buy = this.side === 'buy';
    const budget =
      buy && this.market
        ? ceilDiv(this.price * this.quantity * (100n + this.slippagePercent), 100n * ONE) || 1n
        : null;
    const limit = this.market ? null : this.price;
    const notionalCap = buy ? (budget ?? ceilDiv(this.price * this.quantity, ONE)) : this.quantity;
    const feeCap = buy ? ceilDiv(this.taker * notionalCap, ONE) : 0n;
    const order: ModelOrder = {
      id,
      accountId: this.accountId,
      side: this.side,
      base,
      quote,
      quantity: this.quantity,
      limit: buy || !this.market ? limit : null,
      taker: this.taker,
      notionalCap,
      feeCap,
      paid: 0n,
      filled: 0n,
      notionalExact: 0n,
      quoteTotal: 0n,
      feeExact: 0n,
      feeTotal: 0n,
    };
    const need = notionalCap + feeCap;
    const refusal =
      need > get(model.free, this.accountId, lockedAsset(order)) ? 'LEDGER_INSUFFICIENT_FUNDS' : null;
    const input = {
      orderId: id,
      accountId: this.accountId,
      venue: this.symbol === 'ETH-BTC' ? 'binance' : 'sim',
      symbol: this.symbol,
      side: this.side,
      quantity: this.quantity,
      limitPrice: limit,
      quoteBudget: budget,
      takerFeeRate: this.taker,
      time: T0,
    };
    if (expectOutcome(real, refusal, () => real.ledger.lockOrder(input))) {
      add(model.free, this.accountId, lockedAsset(order), -need);
      add(model.locked, this.accountId, lockedAsset(order), need);
      model.open.push(order);
    }
    checkInvariants(model, real);
  }
  toString = () =>
    `place(${this.accountId.slice(-1)} ${this.side} ${this.market ? 'market' : 'limit'} ${this.quantity} ${this.symbol} @ ${this.price}, taker ${this.taker})`;
}

class Fill implements Cmd {
  constructor(
    readonly pick: number,
    /** Share of the remaining quantity; >= 100 fills it all. */
    readonly percent: bigint,
    /** Buy: price below the limit by this; sell: above it. Market orders fill at the order's own reference. */
    readonly improvement: bigint,
    readonly maker: boolean,
    /** A market buy fill sized past what its budget buys: must be refused. */
    readonly overshoot: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.open.length > 0;
  run(model: Model, real: Real): void {
    const o = model.open[this.pick % model.open.length] as ModelOrder;
    const left = o.quantity - o.filled;
    let quantity = this.percent >= 100n ? left : (left * this.percent) / 100n || 1n;
    let price: bigint;
    if (o.limit === null) price = this.improvement + 1n;
    else if (o.side === 'sell') price = o.limit + this.improvement;
    else price = o.limit > this.improvement ? o.limit - this.improvement : o.limit;
    if (o.side === 'buy' && o.limit === null) {
      const affordable = (o.notionalCap * ONE - o.notionalExact) / price;
      const cap = affordable < left ? affordable : left;
      if (!this.overshoot) quantity = quantity < cap ? quantity : cap;
      if (quantity === 0n) quantity = 1n;
    }
    const feeRate = this.maker ? o.taker / 2n : o.taker;
    const input: FillInput = {
      fillId: `f${model.next++}`,
      orderId: o.id,
      price,
      quantity,
      feeRate,
      time: T0,
    };

    // The documented rules, written plainly.
    const buy = o.side === 'buy';
    const notionalExact = o.notionalExact + price * quantity;
    const quoteTotal = buy ? ceilDiv(notionalExact, ONE) : notionalExact / ONE;
    const quote = quoteTotal - o.quoteTotal;
    const feeExact = o.feeExact + feeRate * quote;
    const feeTotal = ceilDiv(feeExact, ONE);
    const fee = feeTotal - o.feeTotal;
    const fits =
      o.filled + quantity <= o.quantity && (!buy || (quoteTotal <= o.notionalCap && feeTotal <= o.feeCap));
    const refusal = fits ? null : 'LEDGER_RESERVATION_EXCEEDED';

    let applied = false;
    if (expectOutcome(real, refusal, () => real.ledger.fill(input))) {
      applied = true;
      Object.assign(o, { notionalExact, quoteTotal, feeExact, feeTotal, filled: o.filled + quantity });
      o.paid += buy ? quote + fee : quantity;
      if (buy) {
        add(model.locked, o.accountId, o.quote, -(quote + fee));
        add(model.free, o.accountId, o.base, quantity);
      } else {
        add(model.locked, o.accountId, o.base, -quantity);
        add(model.free, o.accountId, o.quote, quote - fee);
      }
      if (o.filled === o.quantity) release(model, o);
      model.fills.push(input);
    }
    checkInvariants(model, real);
    if (applied) {
      const before = snapshot(real.ledger);
      expect(real.ledger.fill(input).applied).toBe(false);
      expect(snapshot(real.ledger)).toBe(before);
    }
  }
  toString = () =>
    `fill(#${this.pick}, ${this.percent}%, ${this.improvement}, ${this.maker ? 'maker' : 'taker'})`;
}

function release(model: Model, o: ModelOrder): void {
  const rest = reservedLeft(o);
  add(model.locked, o.accountId, lockedAsset(o), -rest);
  add(model.free, o.accountId, lockedAsset(o), rest);
  o.paid += rest;
  model.open = model.open.filter((x) => x !== o);
}

class Cancel implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.open.length > 0;
  run(model: Model, real: Real): void {
    const o = model.open[this.pick % model.open.length] as ModelOrder;
    real.ledger.unlockOrder({ orderId: o.id, time: T0 });
    release(model, o);
    checkInvariants(model, real);
  }
  toString = () => `cancel(#${this.pick})`;
}

class Redeliver implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.fills.length > 0;
  run(model: Model, real: Real): void {
    const f = model.fills[this.pick % model.fills.length] as FillInput;
    const before = snapshot(real.ledger);
    expect(real.ledger.fill({ ...f, time: T0 + 1 }).applied).toBe(false);
    expect(snapshot(real.ledger)).toBe(before);
    checkInvariants(model, real);
  }
  toString = () => `redeliver(#${this.pick})`;
}

const account = fc.constantFrom(...ACCOUNTS);
const asset = fc.constantFrom(...ASSETS);
const quantity = fc.oneof(
  fc.constantFrom(u('0.001'), u('0.5'), u('1'), u('2.5'), 1n, 3n),
  fc.bigInt({ min: 1n, max: u('3') }),
);
const price = fc.oneof(
  fc.constantFrom(u('100'), u('0.1'), u('0.333333333333333333'), u('64.07'), 1n),
  fc.bigInt({ min: 1n, max: u('150') }),
);
const feeRate = fc.constantFrom(0n, u('0.001'), u('0.00075'), u('0.333333333333333333'), u('1'));

/** Starting balances: usually enough for a few orders, sometimes nothing (the refusals get exercised). */
const funding = fc.array(
  fc.tuple(account, asset, fc.oneof(fc.bigInt({ min: 1n, max: u('2000') }), fc.constant(u('5000')))),
  { maxLength: 6 },
);

const deposit = fc
  .tuple(account, asset, fc.oneof(fc.bigInt({ min: 1n, max: u('500') }), fc.constantFrom(1n, u('0.5'))))
  .map(([a, s, n]) => new Deposit(a, s, n));
const place = fc
  .tuple(
    account,
    fc.constantFrom(...SYMBOLS),
    fc.constantFrom('buy' as const, 'sell' as const),
    fc.boolean(),
    price,
    quantity,
    fc.bigInt({ min: 0n, max: 10n }),
    feeRate,
  )
  .map((args) => new Place(...args));
const fill = fc
  .tuple(
    fc.nat(),
    fc.oneof(fc.bigInt({ min: 1n, max: 99n }), fc.constant(100n)),
    fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: u('5') }), fc.bigInt({ min: 1n, max: 1000n })),
    fc.boolean(),
    fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
  )
  .map((args) => new Fill(...args));

// Repeated entries weight the draw toward orders and fills.
const commands = [
  deposit,
  fc.tuple(account, asset, fc.bigInt({ min: 1n, max: 130n })).map(([a, s, p]) => new Withdraw(a, s, p)),
  place,
  place,
  fill,
  fill,
  fill,
  fc.nat().map((n) => new Cancel(n)),
  fc.nat().map((n) => new Redeliver(n)),
];

describe('ledger against a reference model', () => {
  it('keeps every invariant over random deposit, order, fill, cancel and withdrawal sequences', () => {
    fc.assert(
      fc.property(
        fc.tuple(funding, fc.commands(commands, { maxCommands: 60, size: '+1' })),
        ([initial, cmds]) => {
          const setup = () => {
            const model: Model = {
              free: new Map(),
              locked: new Map(),
              open: [],
              fills: [],
              next: 0,
              checked: 0,
            };
            const real = { ledger: new Ledger() };
            for (const [accountId, asset, amount] of initial)
              new Deposit(accountId, asset, amount).run(model, real);
            return { model, real };
          };
          fc.modelRun(setup, cmds);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
