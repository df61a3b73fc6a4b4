'use client';

import type { BackfillJobView } from '@qt/api';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { fromLocalInput, toLocalInput } from '../backtests/backtest-range';

const fieldClass =
  'block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none aria-invalid:border-rose-500 [color-scheme:dark]';

export interface BackfillFormProps {
  venue: string;
  symbol: string;
  /** The form's first "from": the start of the coverage window shown. */
  defaultFrom: number;
  onQueued: (job: BackfillJobView) => void;
}

/**
 * "Backfill from <date> to now" for the selected series: 1m candles from the venue's REST history (the
 * coarser intervals are rolled up from them). The engine checks the tier's depth and the open-job cap;
 * its refusal is shown as it words it, with its code.
 */
export function BackfillForm({ venue, symbol, defaultFrom, onQueued }: BackfillFormProps) {
  const trpc = useTRPC();
  const [from, setFrom] = useState(() => toLocalInput(defaultFrom));
  const [invalid, setInvalid] = useState<string | null>(null);
  const backfill = useMutation(trpc.history.backfill.mutationOptions({ onSuccess: onQueued }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    backfill.reset();
    const fromMs = fromLocalInput(from);
    if (fromMs === null) {
      setInvalid('Pick a start date and time.');
      return;
    }
    if (fromMs >= Date.now()) {
      setInvalid('The start must be in the past.');
      return;
    }
    setInvalid(null);
    backfill.mutate({ venue, symbol, interval: '1m', from: fromMs });
  }

  const problem = backfill.isError ? describeEngineError(backfill.error) : null;
  return (
    <form onSubmit={submit} className="flex flex-col gap-2" aria-label="Backfill history" noValidate>
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1">
          <label
            htmlFor="backfill-from"
            className="mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase"
          >
            Backfill {symbol} from
          </label>
          <input
            id="backfill-from"
            type="datetime-local"
            className={fieldClass}
            value={from}
            aria-invalid={invalid ? true : undefined}
            onChange={(e) => setFrom(e.target.value)}
            data-testid="backfill-from"
          />
        </div>
        <Button type="submit" size="sm" disabled={backfill.isPending} data-testid="backfill-submit">
          {backfill.isPending ? 'Queueing…' : 'Backfill to now'}
        </Button>
      </div>
      {invalid && (
        <p role="alert" className="text-xs text-rose-300">
          {invalid}
        </p>
      )}
      {problem && (
        <p
          role="alert"
          className="text-xs text-rose-300"
          data-testid="backfill-error"
          data-code={problem.code ?? ''}
        >
          {problem.message}
        </p>
      )}
    </form>
  );
}
