'use client';

import { Button } from '@/components/ui/button';
import { freeParamRow, type ParamRow } from './strategy-params';

export interface ParamFieldsProps {
  rows: readonly ParamRow[];
  onChange: (rows: ParamRow[]) => void;
  /** Per row key, from `parseParams`. */
  errors: Record<string, string>;
}

const input =
  'block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 font-mono text-sm text-zinc-100 placeholder:text-zinc-600 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none aria-invalid:border-rose-500';

function rangeText(row: ParamRow): string | null {
  const spec = row.spec;
  if (!spec) return null;
  if (spec.min != null && spec.max != null) return `${spec.min} – ${spec.max}`;
  if (spec.min != null) return `≥ ${spec.min}`;
  if (spec.max != null) return `≤ ${spec.max}`;
  return null;
}

/**
 * A strategy's parameters: an example's declared ones (fixed names, with their range and description),
 * then free name = value rows, which is all an uploaded module can have (a module declares none).
 */
export function ParamFields({ rows, onChange, errors }: ParamFieldsProps) {
  const update = (key: string, patch: Partial<ParamRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
        Parameters
      </legend>
      {rows.map((row) => {
        const error = errors[row.key];
        const range = rangeText(row);
        return (
          <div key={row.key}>
            <div className="grid grid-cols-[9rem_1fr_auto] items-center gap-2">
              {row.spec ? (
                <label
                  htmlFor={`param-${row.key}`}
                  className="truncate font-mono text-xs text-zinc-300"
                  title={row.spec.description}
                >
                  {row.name}
                </label>
              ) : (
                <input
                  aria-label="Parameter name"
                  placeholder="name"
                  className={input}
                  value={row.name}
                  onChange={(e) => update(row.key, { name: e.target.value })}
                  data-testid="param-free-name"
                />
              )}
              <input
                id={`param-${row.key}`}
                aria-label={row.spec ? undefined : 'Parameter value'}
                aria-invalid={error ? true : undefined}
                inputMode="decimal"
                autoComplete="off"
                placeholder="value"
                className={input}
                value={row.value}
                onChange={(e) => update(row.key, { value: e.target.value })}
                data-testid={row.spec ? `param-${row.name}` : 'param-free-value'}
              />
              {row.spec ? (
                <span className="w-16 text-right text-[11px] text-zinc-500">{range}</span>
              ) : (
                <button
                  type="button"
                  className="w-16 text-right text-xs text-zinc-500 hover:text-zinc-200"
                  onClick={() => onChange(rows.filter((r) => r.key !== row.key))}
                >
                  Remove
                </button>
              )}
            </div>
            {row.spec?.description && !error && (
              <p className="mt-0.5 pl-[9.5rem] text-[11px] text-zinc-500">{row.spec.description}</p>
            )}
            {error && <p className="mt-0.5 pl-[9.5rem] text-[11px] text-rose-300">{error}</p>}
          </div>
        );
      })}
      <Button variant="ghost" size="sm" onClick={() => onChange([...rows, freeParamRow()])}>
        + Parameter
      </Button>
    </fieldset>
  );
}
