'use client';

import { type KeyboardEvent, useId, useState } from 'react';
import {
  addOverlay,
  type Overlay,
  type OverlayKind,
  overlayKinds,
  overlayLabel,
  overlayNames,
  overlayParamsText,
  parseOverlayParams,
} from './indicator-overlays';

let counter = 0;
const newId = () => `${Date.now().toString(36)}${(++counter).toString(36)}`;

/**
 * Adds SMA, EMA and Bollinger on price, RSI and MACD in panes below; each chip edits its parameters
 * (click its label, type e.g. `12 26 9`, Enter) and removes it (×).
 */
export function IndicatorOverlayPicker({
  overlays,
  onChange,
}: {
  overlays: readonly Overlay[];
  onChange: (next: Overlay[]) => void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const selectId = useId();

  function add(kind: OverlayKind) {
    const { list, refused } = addOverlay(overlays, kind, newId());
    setProblem(refused);
    if (!refused) onChange(list);
  }

  return (
    <div className="flex flex-wrap items-center gap-1.5" data-testid="overlay-picker">
      <label htmlFor={selectId} className="sr-only">
        Add an indicator
      </label>
      <select
        id={selectId}
        value=""
        data-testid="overlay-add"
        onChange={(e) => {
          const kind = overlayKinds.find((k) => k === e.target.value);
          if (kind) add(kind);
        }}
        className="h-6 rounded border border-zinc-700 bg-zinc-950 px-1.5 text-[11px] text-zinc-300 focus:border-emerald-500 focus:outline-none"
      >
        <option value="">+ Indicator</option>
        {overlayKinds.map((k) => (
          <option key={k} value={k}>
            {overlayNames[k]}
          </option>
        ))}
      </select>
      {overlays.map((o) => (
        <OverlayChip
          key={o.id}
          overlay={o}
          onProblem={setProblem}
          onUpdate={(next) => onChange(overlays.map((x) => (x.id === o.id ? next : x)))}
          onRemove={() => {
            setProblem(null);
            onChange(overlays.filter((x) => x.id !== o.id));
          }}
        />
      ))}
      {problem && (
        <span role="alert" className="text-[11px] text-rose-300" data-testid="overlay-problem">
          {problem}
        </span>
      )}
    </div>
  );
}

function OverlayChip({
  overlay,
  onUpdate,
  onRemove,
  onProblem,
}: {
  overlay: Overlay;
  onUpdate: (next: Overlay) => void;
  onRemove: () => void;
  onProblem: (message: string | null) => void;
}) {
  const [editing, setEditing] = useState<string | null>(null);

  function apply() {
    if (editing === null) return;
    const parsed = parseOverlayParams(overlay, editing);
    if (!parsed.ok) {
      onProblem(parsed.message);
      return;
    }
    onProblem(null);
    setEditing(null);
    onUpdate({ ...overlay, params: parsed.params });
  }
  function onKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter') apply();
    if (e.key === 'Escape') {
      setEditing(null);
      onProblem(null);
    }
  }

  return (
    <span
      data-testid="overlay-chip"
      data-kind={overlay.kind}
      className="inline-flex h-6 items-center gap-1 rounded border border-zinc-700 bg-zinc-800/60 pr-1 pl-1.5 font-mono text-[11px] text-zinc-200"
    >
      <span aria-hidden="true" className="size-2 rounded-full" style={{ backgroundColor: overlay.color }} />
      {editing === null ? (
        <button
          type="button"
          title="Edit parameters"
          className="hover:text-zinc-50"
          onClick={() => setEditing(overlayParamsText(overlay))}
        >
          {overlayLabel(overlay)}
        </button>
      ) : (
        <>
          <span className="text-zinc-400">{overlayNames[overlay.kind]}</span>
          <input
            // biome-ignore lint/a11y/noAutofocus: the person just asked to edit this chip.
            autoFocus
            aria-label={`${overlayNames[overlay.kind]} parameters`}
            className="h-5 w-20 rounded border border-zinc-600 bg-zinc-950 px-1 text-[11px] text-zinc-100 focus:border-emerald-500 focus:outline-none"
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            onKeyDown={onKey}
            onBlur={apply}
            data-testid="overlay-params"
          />
        </>
      )}
      <button
        type="button"
        aria-label={`Remove ${overlayLabel(overlay)}`}
        className="px-0.5 text-zinc-500 hover:text-zinc-200"
        onClick={onRemove}
      >
        ×
      </button>
    </span>
  );
}
