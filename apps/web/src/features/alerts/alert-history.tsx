'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { describeDelivery } from './alert-describe';

const tones = { pending: 'amber', sent: 'green', dead: 'red' } as const;

/** Firings, newest first (of one alert or all), each with its delivery state per channel; paged by cursor. */
export function AlertHistory({ alertId }: { alertId: string | null }) {
  const trpc = useTRPC();
  // The cursors of the pages walked so far: back goes to the previous one (the API pages by `before`).
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors[cursors.length - 1];
  const history = useQuery(
    trpc.alerts.history.queryOptions({ limit: 25, ...(alertId && { alertId }), ...(before && { before }) }),
  );
  if (history.isError)
    return <p className="text-sm text-rose-300">{describeEngineError(history.error).message}</p>;
  if (history.isPending) return <p className="text-sm text-zinc-500">Loading…</p>;
  const { items, next } = history.data;
  if (items.length === 0 && cursors.length === 0)
    return <p className="text-sm text-zinc-500">No firings yet.</p>;
  return (
    <div>
      <ul className="divide-y divide-zinc-800" data-testid="alert-history">
        {items.map((f) => (
          <li key={f.id} className="py-2.5" data-testid="alert-firing">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <span className="text-sm font-medium text-zinc-100">{f.alertName}</span>
              <span className="text-[11px] text-zinc-500">{new Date(f.at).toLocaleString()}</span>
            </div>
            <p className="text-xs break-words text-zinc-400">{f.message}</p>
            <div className="mt-1 flex flex-wrap gap-1.5">
              <Badge tone="green" caps={false}>
                in-app
              </Badge>
              {(f.deliveries ?? []).map((d) => (
                <Badge key={d.channelId} tone={tones[d.status]} caps={false} data-testid="alert-delivery">
                  {describeDelivery(d)}
                </Badge>
              ))}
            </div>
          </li>
        ))}
      </ul>
      {(next || cursors.length > 0) && (
        <div className="mt-3 flex justify-center gap-2">
          {cursors.length > 0 && (
            <Button variant="secondary" size="sm" onClick={() => setCursors((c) => c.slice(0, -1))}>
              Newer firings
            </Button>
          )}
          {next && (
            <Button variant="secondary" size="sm" onClick={() => setCursors((c) => [...c, next])}>
              Older firings
            </Button>
          )}
        </div>
      )}
    </div>
  );
}
