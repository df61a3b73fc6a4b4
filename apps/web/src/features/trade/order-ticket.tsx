'use client';

import type { Instrument, OrderType, PaperAccountView, Quote, TimeInForce } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { sizeForPercent, sizeFromQuote, sizePercents } from '../cockpit/percent-size';
import { onPricePick } from '../depth/price-pick-event';
import { decimalsOf, formatDecimal } from '../markets/decimal-text';
import { upsertOpenOrder } from './account-cache';
import { BestBidAsk } from './best-bid-ask';
import { newClientOrderId } from './client-order-id';
import {
  checkTicket,
  roundDecimal,
  type TicketDraft,
  type TicketField,
  typeNeedsPrice,
  typeNeedsStop,
  typeTakesTimeInForce,
} from './order-ticket-rules';
import { describeOrderOutcome, describeTradeProblem, type TradeProblem } from './trade-errors';
import { liveQuery } from './use-account-feed';
import { formatAmountDown, useAssetDecimals } from './use-precision';

const typeOptions: readonly { value: OrderType; label: string }[] = [
  { value: 'limit', label: 'Limit' },
  { value: 'market', label: 'Market' },
  { value: 'stop_market', label: 'Stop market' },
  { value: 'stop_limit', label: 'Stop limit' },
];

const tifOptions: readonly { value: TimeInForce; label: string }[] = [
  { value: 'GTC', label: 'GTC · good till canceled' },
  { value: 'IOC', label: 'IOC · immediate or cancel' },
  { value: 'FOK', label: 'FOK · fill or kill' },
];

const placedText: Record<string, string> = {
  new: 'Order placed: resting on the book.',
  stopNew: 'Stop placed: it waits for the last trade to reach its trigger (nothing is filled yet).',
  partially_filled: 'Order partially filled; the rest is on the book.',
  filled: 'Order filled.',
};

const REFERENCE_TITLE =
  'Last trade price: the risk checks (price band) and the value of a market order refer to it.';

export interface OrderTicketProps {
  account: PaperAccountView;
  venue: string;
  symbol: string;
  instrument: Instrument | undefined;
  /** The last trade on this venue and symbol, or null before the first one arrives. */
  lastPrice: string | null;
  /** The venue's best bid and ask, or null before the first quote. */
  bestBidAsk: Quote | null;
}

const emptyDraft: TicketDraft = {
  side: 'buy',
  type: 'limit',
  quantity: '',
  price: '',
  stopPrice: '',
  timeInForce: 'GTC',
  postOnly: false,
};

/**
 * The order ticket: checks tick, lot and minimum notional as you type (exactly, on the decimal strings),
 * and says next to itself why the engine refused an order, with the engine's code.
 */
export function OrderTicket({ account, venue, symbol, instrument, lastPrice, bestBidAsk }: OrderTicketProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<TicketDraft>(emptyDraft);
  const [submitted, setSubmitted] = useState(false);
  const [problem, setProblem] = useState<TradeProblem | null>(null);
  const [placed, setPlaced] = useState<{ id: string; status: string; stop: boolean } | null>(null);
  // Kept across a retry of the same order after a transport failure, so the engine sees one order.
  const pendingId = useRef<{ key: string; id: string } | null>(null);
  /** Size typed in the base asset (the order's quantity) or in the quote currency (converted, floored). */
  const [sizeIn, setSizeIn] = useState<'base' | 'quote'>('base');
  const [quoteAmount, setQuoteAmount] = useState('');
  const assetDecimals = useAssetDecimals();

  const [base = '', quote = ''] = symbol.split('-');
  const priceDecimals = instrument ? decimalsOf(instrument.tickSize) : 2;
  const rules = instrument
    ? {
        tickSize: instrument.tickSize,
        lotSize: instrument.lotSize,
        minNotional: instrument.minNotional,
        quote,
      }
    : null;
  const check = checkTicket(draft, rules, lastPrice);

  const balances = useQuery(trpc.paperAccounts.balances.queryOptions({ accountId: account.id }, liveQuery));
  const spendAsset = draft.side === 'buy' ? quote : base;
  const available = balances.data?.find((b) => b.asset === spendAsset)?.free ?? '0';
  const freeOf = (asset: string) => balances.data?.find((b) => b.asset === asset)?.free ?? '0';

  /**
   * The price a size is worked out at: the limit (or stop) typed; else the side of the book a market
   * order would take (ask for a buy, bid for a sell); else the last trade.
   */
  function sizingPrice(d: TicketDraft): string | null {
    const typed = typeNeedsPrice(d.type) ? d.price : typeNeedsStop(d.type) ? d.stopPrice : '';
    if (/^\d+(\.\d+)?$/.test(typed.trim()) && Number(typed) > 0) return typed.trim();
    const book = d.side === 'buy' ? bestBidAsk?.askPrice : bestBidAsk?.bidPrice;
    return book ?? lastPrice;
  }

  // The limit price starts at the passive side of the book (a buy at the best bid, a sell at the best
  // ask) as soon as there is a quote, and follows the side while it is still the prefilled value.
  const quoteRef = useRef(bestBidAsk);
  quoteRef.current = bestBidAsk;
  const prefilled = useRef<string | null>(null);
  const hasQuote = bestBidAsk !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when a first quote arrives or the side or type changes; the quote itself is read from the ref so every push does not re-run it.
  useEffect(() => {
    const q = quoteRef.current;
    if (!q) return;
    setDraft((d) => {
      if (!typeNeedsPrice(d.type) || (d.price !== '' && d.price !== prefilled.current)) return d;
      const price = d.side === 'buy' ? q.bidPrice : q.askPrice;
      prefilled.current = price;
      return price === d.price ? d : { ...d, price };
    });
  }, [hasQuote, draft.side, draft.type]);

  // A click on a depth ladder row of this market puts its price in the ticket (a price order type only).
  const updateRef = useRef<(next: Partial<TicketDraft>) => void>(() => {});
  useEffect(
    () =>
      onPricePick(venue, symbol, (price) => {
        prefilled.current = null;
        updateRef.current({ price });
      }),
    [venue, symbol],
  );

  const place = useMutation(
    trpc.orders.place.mutationOptions({
      onSuccess: (order) => {
        pendingId.current = null;
        queryClient.setQueryData(
          trpc.orders.list.queryKey({ accountId: account.id, status: 'open' }),
          (page) => (page ? { ...page, orders: upsertOpenOrder(page.orders, order) } : page),
        );
        setPlaced({ id: order.id, status: order.status, stop: typeNeedsStop(order.type) });
        setProblem(describeOrderOutcome(order.status, order.reason));
      },
      onError: (err) => {
        const p = describeTradeProblem(err);
        // A refusal with a code is final; only an unanswered call may be the same order retried.
        if (p.code) pendingId.current = null;
        setProblem(p);
      },
    }),
  );

  updateRef.current = (next) => update(next);
  function update(next: Partial<TicketDraft>) {
    setDraft((d) => {
      const merged = { ...d, ...next };
      // A size in quote currency is re-converted when the price it is converted at changes.
      if (sizeIn === 'quote' && next.quantity === undefined && rules) {
        merged.quantity = sizeFromQuote(quoteAmount, sizingPrice(merged), rules.lotSize) ?? '';
      }
      return merged;
    });
    setPlaced(null);
    setProblem(null);
  }

  function changeQuoteAmount(text: string) {
    setQuoteAmount(text);
    update({ quantity: rules ? (sizeFromQuote(text, sizingPrice(draft), rules.lotSize) ?? '') : '' });
  }

  function sizePercent(percent: number) {
    if (!rules) return;
    const quantity = sizeForPercent({
      side: draft.side,
      percent,
      freeQuote: freeOf(quote),
      freeBase: freeOf(base),
      price: sizingPrice(draft),
      lotSize: rules.lotSize,
    });
    setSizeIn('base');
    update({ quantity: quantity ?? '' });
    if (!quantity) {
      setProblem({
        code: null,
        title: 'Nothing to size',
        message:
          draft.side === 'buy'
            ? `Not enough free ${quote} for one lot (${rules.lotSize} ${base}) at this price.`
            : `Not enough free ${base} for one lot (${rules.lotSize} ${base}).`,
      });
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    setPlaced(null);
    const first = (['quantity', 'price', 'stopPrice', 'form'] as const)
      .map((f) => check.issues[f])
      .find((i) => i !== undefined);
    if (!check.order || first) {
      setProblem(first ? { code: first.code, title: 'Check the order', message: first.message } : null);
      return;
    }
    const order = { accountId: account.id, venue, symbol, ...check.order };
    const key = JSON.stringify(order);
    if (pendingId.current?.key !== key) pendingId.current = { key, id: newClientOrderId() };
    setProblem(null);
    place.mutate({ ...order, clientOrderId: pendingId.current.id });
  }

  const fieldError = (f: TicketField) => {
    const issue = check.issues[f];
    // "Required" waits for a submit; a malformed or off-grid value is said as soon as it is typed.
    if (!issue || (issue.code === 'REQUIRED' && !submitted)) return undefined;
    return issue.message;
  };

  const buy = draft.side === 'buy';
  const halted = account.status === 'halted';

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label="Order ticket"
      data-testid="ticket"
      className="flex flex-col gap-3 rounded-xl border border-zinc-800 bg-zinc-900/60 p-3"
    >
      <fieldset className="grid grid-cols-2 gap-1 rounded-lg bg-zinc-950 p-1">
        <legend className="sr-only">Side</legend>
        <SideButton active={buy} tone="buy" onClick={() => update({ side: 'buy' })} testId="ticket-side-buy">
          Buy
        </SideButton>
        <SideButton
          active={!buy}
          tone="sell"
          onClick={() => update({ side: 'sell' })}
          testId="ticket-side-sell"
        >
          Sell
        </SideButton>
      </fieldset>

      <Select
        label="Type"
        data-testid="ticket-type"
        value={draft.type}
        onChange={(e) => update({ type: e.target.value as OrderType })}
      >
        {typeOptions.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </Select>

      <div
        className="flex items-center justify-between text-[11px] text-zinc-500"
        title={REFERENCE_TITLE}
        data-testid="ticket-reference"
        data-price={lastPrice ?? ''}
      >
        <span className="cursor-help underline decoration-zinc-700 decoration-dotted underline-offset-2">
          Reference (last trade)
        </span>
        <span className="font-mono text-zinc-300">
          {lastPrice ? formatDecimal(lastPrice, priceDecimals) : '—'} {quote}
        </span>
      </div>

      <BestBidAsk quote={bestBidAsk} priceDecimals={priceDecimals} onPick={(price) => update({ price })} />

      {typeNeedsStop(draft.type) && (
        <AmountField
          label="Stop price"
          unit={quote}
          value={draft.stopPrice}
          onChange={(stopPrice) => update({ stopPrice })}
          error={fieldError('stopPrice')}
          hint={
            instrument
              ? `Triggers on the last trade · tick ${instrument.tickSize}`
              : 'Triggers on the last trade'
          }
          testId="ticket-stop-price"
          onUseLast={lastPrice ? () => update({ stopPrice: lastPrice }) : undefined}
        />
      )}
      {typeNeedsPrice(draft.type) && (
        <AmountField
          label="Limit price"
          unit={quote}
          value={draft.price}
          onChange={(price) => update({ price })}
          error={fieldError('price')}
          hint={instrument ? `Tick ${instrument.tickSize}` : undefined}
          testId="ticket-price"
          onUseLast={lastPrice ? () => update({ price: lastPrice }) : undefined}
        />
      )}
      {sizeIn === 'base' ? (
        <AmountField
          label="Quantity"
          unit={base}
          value={draft.quantity}
          onChange={(quantity) => update({ quantity })}
          error={fieldError('quantity')}
          hint={
            instrument
              ? `Lot ${instrument.lotSize} ${base} · minimum ${instrument.minNotional} ${quote} per order`
              : undefined
          }
          testId="ticket-quantity"
          aside={<SizeUnitToggle sizeIn={sizeIn} base={base} quote={quote} onChange={setSizeIn} />}
        />
      ) : (
        <AmountField
          label={`Size in ${quote}`}
          unit={quote}
          value={quoteAmount}
          onChange={changeQuoteAmount}
          error={fieldError('quantity')}
          hint={
            draft.quantity
              ? `= ${draft.quantity} ${base} (rounded down to the lot)`
              : `Converted at the ${typeNeedsPrice(draft.type) ? 'limit price' : 'best price'}, down to the lot`
          }
          testId="ticket-quote-size"
          aside={<SizeUnitToggle sizeIn={sizeIn} base={base} quote={quote} onChange={setSizeIn} />}
        />
      )}
      <fieldset className="grid grid-cols-4 gap-1" aria-label="Size as a share of the free balance">
        {sizePercents.map((p) => (
          <button
            key={p}
            type="button"
            onClick={() => sizePercent(p)}
            disabled={!rules}
            data-testid={`ticket-size-${p}`}
            title={
              draft.side === 'buy'
                ? `${p}% of your free ${quote} at the order's price (fee reserve included)`
                : `${p}% of your free ${base}`
            }
            className="h-6 rounded border border-zinc-700 text-[11px] font-semibold text-zinc-400 hover:border-zinc-500 hover:text-zinc-100 disabled:opacity-40"
          >
            {p}%
          </button>
        ))}
      </fieldset>

      {typeTakesTimeInForce(draft.type) && (
        <div className="flex items-end gap-3">
          <Select
            label="Time in force"
            className="flex-1"
            data-testid="ticket-tif"
            value={draft.timeInForce}
            onChange={(e) => update({ timeInForce: e.target.value as TimeInForce })}
          >
            {tifOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
          {draft.type === 'limit' && (
            <label
              className="flex h-8 cursor-pointer items-center gap-1.5 text-xs text-zinc-300"
              title="Maker only: rejected instead of taking liquidity"
            >
              <input
                type="checkbox"
                checked={draft.postOnly}
                onChange={(e) => update({ postOnly: e.target.checked })}
                className="size-3.5 accent-emerald-500"
                data-testid="ticket-post-only"
              />
              Post-only
            </label>
          )}
        </div>
      )}

      <dl className="space-y-1 border-t border-zinc-800 pt-2 text-[11px]">
        <div className="flex justify-between">
          <dt className="text-zinc-500">
            {check.notionalBasis === 'last' ? 'Est. notional (at last trade)' : 'Est. notional'}
          </dt>
          <dd
            className="font-mono text-zinc-200"
            data-testid="ticket-notional"
            data-notional={check.notional ?? ''}
          >
            {check.notional === null
              ? '—'
              : `${check.notionalBasis === 'last' ? '≈ ' : ''}${formatDecimal(roundDecimal(check.notional, priceDecimals), priceDecimals)} ${quote}`}
          </dd>
        </div>
        <div className="flex justify-between">
          <dt className="text-zinc-500">Available</dt>
          <dd className="font-mono text-zinc-300" data-testid="ticket-available" data-free={available}>
            {formatAmountDown(available, assetDecimals(spendAsset))} {spendAsset}
          </dd>
        </div>
      </dl>

      {problem && (
        <div
          role="alert"
          data-testid="ticket-error"
          data-code={problem.code ?? ''}
          className="rounded-md border border-rose-500/30 bg-rose-500/10 px-2.5 py-2 text-xs text-rose-200"
        >
          <p className="font-semibold">
            {problem.title}
            {problem.code && (
              <span className="ml-1.5 font-mono text-[10px] font-normal text-rose-300/80">
                {problem.code}
              </span>
            )}
          </p>
          <p className="mt-0.5 leading-relaxed">{problem.message}</p>
        </div>
      )}
      {placed && !problem && (
        <p
          role="status"
          data-testid="ticket-placed"
          data-order-id={placed.id}
          data-status={placed.status}
          className="text-xs text-emerald-300"
        >
          {(placed.stop && placed.status === 'new' ? placedText.stopNew : placedText[placed.status]) ??
            `Order ${placed.status.replace('_', ' ')}.`}
        </p>
      )}

      <button
        type="submit"
        disabled={place.isPending || halted}
        data-testid="ticket-submit"
        data-halted={halted}
        className={`h-10 rounded-md text-sm font-semibold transition-colors disabled:cursor-not-allowed disabled:opacity-50 ${
          halted
            ? 'border border-zinc-700 bg-zinc-800 text-zinc-400'
            : buy
              ? 'bg-emerald-500 text-zinc-950 hover:bg-emerald-400'
              : 'bg-rose-500 text-zinc-50 hover:bg-rose-400'
        }`}
      >
        {place.isPending ? 'Sending…' : halted ? 'Account halted' : `${buy ? 'Buy' : 'Sell'} ${base}`}
      </button>
    </form>
  );
}

function SideButton({
  active,
  tone,
  onClick,
  testId,
  children,
}: {
  active: boolean;
  tone: 'buy' | 'sell';
  onClick: () => void;
  testId: string;
  children: ReactNode;
}) {
  const on = tone === 'buy' ? 'bg-emerald-500 text-zinc-950' : 'bg-rose-500 text-zinc-50';
  return (
    <button
      type="button"
      aria-pressed={active}
      onClick={onClick}
      data-testid={testId}
      className={`h-8 rounded-md text-sm font-semibold transition-colors ${active ? on : 'text-zinc-400 hover:text-zinc-200'}`}
    >
      {children}
    </button>
  );
}

function AmountField({
  label,
  unit,
  value,
  onChange,
  error,
  hint,
  testId,
  onUseLast,
  aside,
}: {
  aside?: ReactNode;
  label: string;
  unit: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  hint: string | undefined;
  testId: string;
  onUseLast?: (() => void) | undefined;
}) {
  const id = useId();
  const noteId = `${id}-note`;
  return (
    <div>
      <div className="mb-1 flex items-center justify-between">
        <label htmlFor={id} className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
          {label}
        </label>
        {aside}
        {onUseLast && (
          <button
            type="button"
            onClick={onUseLast}
            className="text-[10px] font-semibold tracking-wider text-emerald-400 uppercase hover:text-emerald-300"
            title="Use the last trade price"
          >
            Last
          </button>
        )}
      </div>
      <div className="relative">
        <input
          id={id}
          inputMode="decimal"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error || hint ? noteId : undefined}
          data-testid={testId}
          className="block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 pr-14 pl-2 font-mono text-sm text-zinc-100 tabular-nums placeholder:text-zinc-600 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none aria-invalid:border-rose-500"
          placeholder="0"
        />
        <span className="pointer-events-none absolute inset-y-0 right-2 flex items-center text-[11px] text-zinc-500">
          {unit}
        </span>
      </div>
      {(error || hint) && (
        <p id={noteId} className={`mt-1 text-[11px] ${error ? 'text-rose-300' : 'text-zinc-500'}`}>
          {error ?? hint}
        </p>
      )}
    </div>
  );
}

function SizeUnitToggle({
  sizeIn,
  base,
  quote,
  onChange,
}: {
  sizeIn: 'base' | 'quote';
  base: string;
  quote: string;
  onChange: (next: 'base' | 'quote') => void;
}) {
  const next = sizeIn === 'base' ? 'quote' : 'base';
  return (
    <button
      type="button"
      onClick={() => onChange(next)}
      data-testid="ticket-size-unit"
      data-size-in={sizeIn}
      className="text-[10px] font-semibold tracking-wider text-sky-400 uppercase hover:text-sky-300"
      title={`Type the size in ${next === 'quote' ? quote : base} instead`}
    >
      in {next === 'quote' ? quote : base}
    </button>
  );
}
