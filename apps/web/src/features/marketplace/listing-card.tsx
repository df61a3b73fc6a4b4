import type { ListingSummaryView } from '@qt/shared';
import Link from 'next/link';
import { Badge } from '@/components/ui/badge';
import { formatPrice } from '../billing/money';
import { drawdownText, percentText, sharpeText, shortHash } from './listing-filters';
import { ListingStatusBadge } from './listing-status';
import { statsMarketText } from './track-record-model';

function ratingText(r: ListingSummaryView['rating']): string {
  return r.average === null || r.count === 0 ? 'No reviews' : `★ ${r.average.toFixed(1)} (${r.count})`;
}

/** One listing in the marketplace grid: what it is, its verified numbers, its price, and who uses it. */
export function ListingCard({
  listing,
  showStatus = false,
}: {
  listing: ListingSummaryView;
  showStatus?: boolean;
}) {
  const { price, stats } = listing;
  const statsOn = statsMarketText(listing);
  return (
    <li
      className="flex flex-col rounded-xl border border-zinc-800 bg-zinc-900/60 p-4 focus-within:border-emerald-500/60 hover:border-zinc-700"
      data-testid="listing-card"
      data-listing-id={listing.id}
    >
      <div className="flex items-start justify-between gap-3">
        <h3 className="text-sm font-semibold text-zinc-50">
          <Link
            href={`/marketplace/${listing.id}`}
            className="hover:underline focus-visible:outline-2 focus-visible:outline-emerald-300"
            data-testid="listing-card-link"
          >
            {listing.title}
          </Link>
        </h3>
        <span className="shrink-0 font-mono text-sm text-zinc-100" data-testid="listing-card-price">
          {formatPrice(price.amountCents, price.currency, price.interval)}
        </span>
      </div>
      <p className="mt-0.5 text-xs text-zinc-500">by {listing.sellerName}</p>
      {listing.summary && <p className="mt-2 line-clamp-2 text-sm text-zinc-400">{listing.summary}</p>}
      <div className="mt-3 rounded-md border border-zinc-800 bg-zinc-950/60 px-3 py-2">
        <p className="flex flex-wrap items-baseline justify-between gap-x-2 text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
          Verified backtest
          {stats && statsOn && (
            // The listing may offer several markets: the figures hold for this one.
            <span
              className="font-mono font-normal tracking-normal normal-case"
              data-testid="listing-card-stats-market"
            >
              on {statsOn}
            </span>
          )}
        </p>
        {stats ? (
          <dl className="mt-1 grid grid-cols-3 gap-2 text-xs">
            <div>
              <dt className="text-zinc-500">Return</dt>
              <dd
                className={`font-mono ${stats.totalReturn !== null && stats.totalReturn < 0 ? 'text-rose-300' : 'text-emerald-300'}`}
                data-testid="listing-card-return"
              >
                {percentText(stats.totalReturn, true)}
              </dd>
            </div>
            <div>
              <dt className="text-zinc-500">Max DD</dt>
              <dd className="font-mono text-rose-300">{drawdownText(stats.maxDrawdown)}</dd>
            </div>
            <div>
              <dt className="text-zinc-500">Sharpe</dt>
              <dd className="font-mono text-zinc-200">{sharpeText(stats.sharpe)}</dd>
            </div>
          </dl>
        ) : (
          <p className="mt-1 text-xs text-zinc-400">Not computed yet.</p>
        )}
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-1.5 text-xs text-zinc-400">
        {showStatus && <ListingStatusBadge status={listing.status} />}
        {price.trialDays > 0 && <Badge tone="blue">{price.trialDays}-day trial</Badge>}
        {listing.tags.map((t) => (
          <Badge key={t} caps={false}>
            {t}
          </Badge>
        ))}
      </div>
      <div className="mt-auto flex flex-wrap items-center justify-between gap-2 pt-3 text-xs text-zinc-500">
        <span>
          <span data-testid="listing-card-subscribers">{listing.subscribers}</span> subscriber
          {listing.subscribers === 1 ? '' : 's'} · {ratingText(listing.rating)}
        </span>
        <span className="font-mono" title={`Module sha256 ${listing.moduleSha256}`}>
          sha256 {shortHash(listing.moduleSha256)}
        </span>
      </div>
    </li>
  );
}
