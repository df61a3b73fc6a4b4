'use client';

import type { ListingDetailView } from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { formatDay } from '../billing/billing-view';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { PanelCard } from './verified-panel';

const stars = (n: number) => '★'.repeat(n) + '☆'.repeat(5 - n);

/** Reviews, written only by subscribers (the server decides who may: `viewer.canReview`). */
export function ListingReviews({ detail }: { detail: ListingDetailView }) {
  const { reviews, viewer, listing } = detail;
  const mine = reviews.find((r) => r.mine);
  return (
    <PanelCard
      title="Reviews"
      testId="listing-reviews"
      label={<span className="text-xs text-zinc-500">From subscribers only</span>}
    >
      {viewer.canReview && (
        <ReviewForm listingId={listing.id} initial={mine ? { rating: mine.rating, body: mine.body } : null} />
      )}
      {reviews.length === 0 ? (
        <p className="text-sm text-zinc-400" data-testid="reviews-empty">
          No reviews yet.
        </p>
      ) : (
        <ul className="divide-y divide-zinc-800">
          {reviews.map((r) => (
            <li key={`${r.author}-${r.createdAt}`} className="py-3" data-testid="review">
              <p className="flex flex-wrap items-baseline gap-2 text-sm">
                <span className="text-amber-300" aria-hidden="true">
                  {stars(r.rating)}
                </span>
                <span className="sr-only">{r.rating} of 5 stars</span>
                <span className="text-zinc-200">{r.author}</span>
                <span className="text-xs text-zinc-500">{formatDay(r.createdAt)}</span>
              </p>
              {r.body && <p className="mt-1 text-sm whitespace-pre-line text-zinc-400">{r.body}</p>}
            </li>
          ))}
        </ul>
      )}
    </PanelCard>
  );
}

function ReviewForm({
  listingId,
  initial,
}: {
  listingId: string;
  initial: { rating: number; body: string } | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const bodyId = useId();
  const [rating, setRating] = useState(initial?.rating ?? 5);
  const [body, setBody] = useState(initial?.body ?? '');
  const review = useMutation(
    trpc.marketplace.review.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.marketplace.get.queryKey({ listingId }) }),
    }),
  );
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    review.mutate({ listingId, rating, body });
  }
  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-lg border border-zinc-800 p-3"
      aria-label="Your review"
    >
      <Select
        label="Your rating"
        className="w-32"
        data-testid="review-rating"
        value={rating}
        onChange={(e) => setRating(Number(e.target.value))}
      >
        {[5, 4, 3, 2, 1].map((n) => (
          <option key={n} value={n}>
            {n} star{n === 1 ? '' : 's'}
          </option>
        ))}
      </Select>
      <div>
        <label htmlFor={bodyId} className="mb-1 block text-sm font-medium text-zinc-200">
          Review <span className="text-xs font-normal text-zinc-500">(optional)</span>
        </label>
        <textarea
          id={bodyId}
          data-testid="review-body"
          maxLength={2_000}
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          className="block w-full rounded-md border border-zinc-700 bg-zinc-950 px-3 py-2 text-sm text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none"
        />
      </div>
      {review.isError && (
        <StrategyProblemBox problem={describeBillingProblem(review.error)} testId="review-error" />
      )}
      {review.isSuccess && (
        <p role="status" className="text-xs text-emerald-300">
          Thanks: your review is up.
        </p>
      )}
      <Button type="submit" size="sm" disabled={review.isPending} data-testid="review-submit">
        {initial ? 'Update review' : 'Post review'}
      </Button>
    </form>
  );
}
