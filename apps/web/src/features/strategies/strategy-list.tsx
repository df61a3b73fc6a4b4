'use client';

import type { StrategyView } from '@qt/shared';
import { EmptyRows, TradePanel } from '../trade/trade-panel';

/** A module size as people read it. */
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The tenant's strategies, newest version described under each name; a click selects one. */
export function StrategyList({
  strategies,
  selectedId,
  onSelect,
}: {
  strategies: readonly StrategyView[];
  selectedId: string | null;
  onSelect: (strategyId: string) => void;
}) {
  return (
    <TradePanel title="Strategies" testId="strategy-list">
      {strategies.length === 0 ? (
        <EmptyRows>No strategies yet: start from an example or upload a .wasm.</EmptyRows>
      ) : (
        <ul className="divide-y divide-zinc-800/70">
          {strategies.map((s) => {
            // Versions come newest first.
            const latest = s.versions[0];
            const selected = s.id === selectedId;
            return (
              <li key={s.id}>
                <button
                  type="button"
                  onClick={() => onSelect(s.id)}
                  aria-current={selected ? 'true' : undefined}
                  data-testid="strategy-row"
                  data-strategy-id={s.id}
                  data-name={s.name}
                  data-versions={s.versions.length}
                  className={`block w-full px-3 py-2 text-left transition-colors ${
                    selected ? 'bg-zinc-800/70' : 'hover:bg-zinc-800/40'
                  }`}
                >
                  <span className="flex items-baseline justify-between gap-2">
                    <span className="truncate text-sm font-medium text-zinc-100">{s.name}</span>
                    <span className="shrink-0 font-mono text-[11px] text-zinc-500">
                      {s.versions.length} version{s.versions.length === 1 ? '' : 's'}
                    </span>
                  </span>
                  {latest && (
                    <span className="mt-0.5 block truncate font-mono text-[11px] text-zinc-500">
                      v{latest.version} · {kib(latest.sizeBytes)} · {latest.source}
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </TradePanel>
  );
}
