'use client';

import type { AlertView } from '@qt/shared';
import { useMutation } from '@tanstack/react-query';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { describeCondition, describeMarket, describeTrigger, stateLabels } from './alert-describe';
import { useInvalidateAlerts } from './use-alerts';

export interface AlertListProps {
  alerts: readonly AlertView[];
  selected: string | null;
  onSelect: (id: string) => void;
  onEdit: (alert: AlertView) => void;
}

/** Every alert with its state; pause, resume, edit and delete in place. */
export function AlertList({ alerts, selected, onSelect, onEdit }: AlertListProps) {
  const trpc = useTRPC();
  const invalidate = useInvalidateAlerts();
  const settle = { onSettled: () => invalidate() };
  const pause = useMutation(trpc.alerts.pause.mutationOptions(settle));
  const resume = useMutation(trpc.alerts.resume.mutationOptions(settle));
  const remove = useMutation(trpc.alerts.delete.mutationOptions(settle));
  const failed = pause.error ?? resume.error ?? remove.error;

  if (alerts.length === 0) {
    return (
      <p className="py-6 text-center text-sm text-zinc-500" data-testid="alerts-empty">
        No alerts yet. Create one here, or click a price on the Markets chart.
      </p>
    );
  }
  return (
    <div>
      {failed && (
        <p role="alert" className="mb-3 text-sm text-rose-300">
          {describeEngineError(failed).message}
        </p>
      )}
      <ul className="divide-y divide-zinc-800">
        {alerts.map((a) => {
          const state = stateLabels[a.state];
          return (
            <li
              key={a.id}
              data-testid="alert-row"
              data-state={a.state}
              className={`flex flex-wrap items-center gap-3 py-3 ${selected === a.id ? 'bg-zinc-800/40' : ''}`}
            >
              <button type="button" className="min-w-0 flex-1 text-left" onClick={() => onSelect(a.id)}>
                <span className="flex items-center gap-2">
                  <span className="truncate text-sm font-medium text-zinc-100">{a.name}</span>
                  <Badge tone={state.tone} caps={false} data-testid="alert-state">
                    {state.text}
                  </Badge>
                </span>
                <span className="block text-xs text-zinc-400">
                  {describeCondition(a.condition)} · {describeMarket(a)} · {describeTrigger(a.trigger)}
                  {a.expiresAt !== null && ` · until ${new Date(a.expiresAt).toLocaleString()}`}
                </span>
                <span className="block text-[11px] text-zinc-500">
                  In-app{a.channels.map((c) => `, ${c.kind}${c.target ? ` ${c.target}` : ''}`).join('')}
                </span>
              </button>
              <div className="flex gap-1">
                {a.state === 'active' && (
                  <Button variant="ghost" size="sm" onClick={() => pause.mutate({ alertId: a.id })}>
                    Pause
                  </Button>
                )}
                {a.state === 'paused' && (
                  <Button variant="ghost" size="sm" onClick={() => resume.mutate({ alertId: a.id })}>
                    Resume
                  </Button>
                )}
                <Button variant="ghost" size="sm" onClick={() => onEdit(a)}>
                  Edit
                </Button>
                <Button
                  variant="danger"
                  size="sm"
                  onClick={() => {
                    if (window.confirm(`Delete the alert “${a.name}”?`)) remove.mutate({ alertId: a.id });
                  }}
                >
                  Delete
                </Button>
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
