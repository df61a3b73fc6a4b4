'use client';

import { useQuery } from '@tanstack/react-query';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';

const statusTones: Record<'ok' | 'degraded' | 'down', BadgeTone> = {
  ok: 'green',
  degraded: 'amber',
  down: 'red',
};

export function EngineHealthCard() {
  const trpc = useTRPC();
  const health = useQuery(trpc.system.health.queryOptions(undefined, { refetchInterval: 15_000 }));
  const version = useQuery(trpc.system.version.queryOptions());
  const status = health.data?.status;

  return (
    <Card
      title="Engine"
      description={version.data ? `Version ${version.data.version} · API v${version.data.api}` : 'Checking…'}
      aside={
        health.isError ? (
          <Badge tone="red" data-testid="engine-status">
            unreachable
          </Badge>
        ) : status ? (
          <Badge tone={statusTones[status]} data-testid="engine-status">
            {status}
          </Badge>
        ) : null
      }
    >
      {health.isPending && <p className="text-sm text-zinc-500">Asking the engine…</p>}
      {health.isError && (
        <p className="text-sm text-rose-300" role="status">
          {describeEngineError(health.error).message}
        </p>
      )}
      {health.data && (
        <ul className="divide-y divide-zinc-800 text-sm">
          {Object.entries(health.data.components).map(([name, component]) => (
            <li key={name} className="flex items-center justify-between gap-4 py-2">
              <span className="flex items-center gap-2 text-zinc-200">
                <span
                  aria-hidden="true"
                  className={`size-2 rounded-full ${component.ok ? 'bg-emerald-400' : 'bg-rose-400'}`}
                />
                {name}
                <span className="sr-only">{component.ok ? 'healthy' : 'failing'}</span>
              </span>
              <span className="truncate text-xs text-zinc-500">
                {component.detail ?? (component.ok ? 'ok' : 'failing')}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
