'use client';

import type { PaperAccountView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { useCockpit } from '../cockpit/use-cockpit';
import { DepthPanel } from '../depth/depth-panel';
import { CandlePanel } from '../markets/candle-panel';
import { compareDecimal, decimalsOf } from '../markets/decimal-text';
import { FeedBadges, FeedProblemBanner } from '../markets/feed-badges';
import { MarketPickers } from '../markets/market-pickers';
import { type MarketSelection, selectionKey } from '../markets/market-selection';
import { MarketState } from '../markets/market-state';
import { useInstruments } from '../markets/use-instruments';
import { useLiveTrades } from '../markets/use-live-trades';
import { AccountBar, type AccountDialog, AccountDialogs, FirstAccount } from './account-bar';
import { BalancesPanel } from './balances-panel';
import { FillsPanel } from './fills-panel';
import { OrderTicket } from './order-ticket';
import { OrdersPanel } from './orders-panel';
import { PositionsPanel } from './positions-panel';
import { RiskPanel } from './risk-panel';
import { describeTradeProblem } from './trade-errors';
import { type TradeSelection, tradeSelectionQuery } from './trade-selection';
import { liveQuery, useAccountFeed } from './use-account-feed';
import { useBestBidAsk } from './use-best-bid-ask';

/**
 * The Trade screen: account and market pickers on top; the chart and the order ticket; then orders,
 * fills, balances and positions of the chosen paper account, all kept live by the account's pushes.
 * The selection lives in the URL query, replaced (not pushed) like the Markets screen's.
 */
export function TradeScreen({ initial }: { initial: TradeSelection }) {
  const trpc = useTRPC();
  const [selection, setSelection] = useState(initial);
  const accounts = useQuery(trpc.paperAccounts.list.queryOptions(undefined, liveQuery));
  const list = accounts.data ?? [];
  const account = list.find((a) => a.id === selection.accountId) ?? list[0];

  function change(next: Partial<TradeSelection>) {
    const merged = { ...selection, ...next };
    setSelection(merged);
    window.history.replaceState(null, '', `?${tradeSelectionQuery(merged)}`);
  }

  let body: ReactNode;
  if (accounts.isPending) body = <MarketState title="Loading paper accounts…" />;
  else if (accounts.isError) {
    const problem = describeTradeProblem(accounts.error);
    body = (
      <MarketState
        title="Paper accounts could not be loaded"
        tone="error"
        testId="trade-problem"
        code={problem.code}
      >
        {problem.message}
      </MarketState>
    );
  } else if (!account)
    body = <FirstAccount onCreated={(created: PaperAccountView) => change({ accountId: created.id })} />;
  else
    body = (
      <AccountWorkspace
        key={account.id}
        accounts={list}
        account={account}
        market={selection.market}
        onChange={change}
      />
    );

  return (
    <div data-wide-page className="flex flex-col gap-3">
      {body}
    </div>
  );
}

interface AccountWorkspaceProps {
  accounts: readonly PaperAccountView[];
  account: PaperAccountView;
  market: MarketSelection;
  onChange: (next: Partial<TradeSelection>) => void;
}

function AccountWorkspace({ accounts, account, market, onChange }: AccountWorkspaceProps) {
  const trpc = useTRPC();
  const [dialog, setDialog] = useState<AccountDialog | null>(null);
  const feed = useAccountFeed(account.id);
  const instruments = useInstruments(market);
  const { instrument } = instruments;
  const priceDecimals = instrument ? decimalsOf(instrument.tickSize) : 2;
  const { tape } = useLiveTrades(market.venue, market.symbol);
  const lastPrice = tape[0]?.price ?? null;
  const bestBidAsk = useBestBidAsk(market.venue, market.symbol);
  const cockpit = useCockpit(account.id, market, instrument);
  const balances = useQuery(trpc.paperAccounts.balances.queryOptions({ accountId: account.id }, liveQuery));
  const empty = balances.isSuccess && balances.data.every((b) => compareDecimal(b.total, '0') === 0);

  function changeMarket(next: Partial<MarketSelection>) {
    const merged = { ...market, ...next };
    if (next.venue && !next.symbol) merged.symbol = instruments.symbolOn(next.venue, market.symbol);
    onChange({ market: merged });
  }

  return (
    <>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="flex flex-wrap items-end gap-4">
          <h1 className="pb-1 text-lg font-semibold tracking-tight text-zinc-50">Trade</h1>
          <AccountBar
            accounts={accounts}
            account={account}
            onSelect={(accountId) => onChange({ accountId })}
            onOpen={setDialog}
          />
          <MarketPickers
            selection={market}
            venues={instruments.venues}
            symbols={instruments.symbols}
            onChange={changeMarket}
          />
        </div>
        <div className="flex items-center gap-3">
          <AccountLive state={feed.live} />
          <FeedBadges />
        </div>
      </div>
      <FeedProblemBanner />
      <AccountDialogs
        open={dialog}
        onClose={() => setDialog(null)}
        account={account}
        accountCount={accounts.length}
        suggestedDeposit={empty ? '10000' : ''}
        onCreated={(created) => onChange({ accountId: created.id })}
      />
      <div className="grid grid-cols-1 gap-3 lg:grid-cols-[minmax(0,1fr)_21rem]">
        {/* No fixed height: the card is as tall as its header (which wraps on a phone) plus the chart, so
            the chart's axis and zoom slider never spill over the order ticket or the panels below. */}
        <div className="flex min-w-0 flex-col gap-3">
          <CandlePanel
            key={selectionKey(market)}
            selection={market}
            priceDecimals={priceDecimals}
            cockpit={cockpit.layer}
            chartOverlay={cockpit.confirm}
          />
          <DepthPanel
            key={`depth|${market.venue}|${market.symbol}`}
            venue={market.venue}
            symbol={market.symbol}
            priceDecimals={priceDecimals}
            sizeDecimals={instrument ? decimalsOf(instrument.lotSize) : null}
            pickable
          />
        </div>
        <OrderTicket
          key={`${market.venue}|${market.symbol}`}
          account={account}
          venue={market.venue}
          symbol={market.symbol}
          instrument={instrument}
          lastPrice={lastPrice}
          bestBidAsk={bestBidAsk}
        />
        <div className="flex min-w-0 flex-col gap-3">
          <div className="h-64">
            <OrdersPanel accountId={account.id} />
          </div>
          <div className="grid grid-cols-1 gap-3 2xl:grid-cols-2">
            <div className="h-56">
              <PositionsPanel accountId={account.id} />
            </div>
            <div className="h-56">
              <FillsPanel accountId={account.id} />
            </div>
          </div>
        </div>
        <div className="flex flex-col gap-3 self-start">
          <BalancesPanel account={account} onDeposit={() => setDialog('deposit')} />
          <RiskPanel account={account} />
        </div>
      </div>
    </>
  );
}

const liveLabels = {
  live: {
    text: 'Account live',
    dot: 'bg-emerald-400',
    title: 'Orders, fills and balances update as they happen',
  },
  connecting: { text: 'Connecting', dot: 'bg-amber-400', title: 'Connecting to account updates' },
  error: {
    text: 'Updates stopped',
    dot: 'bg-rose-400',
    title: 'Live account updates stopped; the panels refresh when you come back to this tab, or reload',
  },
} as const;

function AccountLive({ state }: { state: keyof typeof liveLabels }) {
  const label = liveLabels[state];
  return (
    <span
      className="flex items-center gap-1.5 text-[11px] text-zinc-500"
      title={label.title}
      data-testid="account-live"
      data-state={state}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${label.dot}`} />
      {label.text}
    </span>
  );
}
