/** The product mark: three candles, the last one up. `compact` keeps only the mark on narrow screens. */
export function Brand({ className = '', compact = false }: { className?: string; compact?: boolean }) {
  return (
    <span
      className={`inline-flex shrink-0 items-center gap-2 font-semibold whitespace-nowrap tracking-tight text-zinc-100 ${className}`}
    >
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true">
        <rect width="24" height="24" rx="6" className="fill-emerald-500/15" />
        <path
          d="M7 6v12M12 8v9M17 5v11"
          className="stroke-zinc-500"
          strokeWidth="1.5"
          strokeLinecap="round"
        />
        <rect x="5.5" y="9" width="3" height="6" rx="0.75" className="fill-rose-400" />
        <rect x="10.5" y="10" width="3" height="5" rx="0.75" className="fill-rose-400" />
        <rect x="15.5" y="7" width="3" height="7" rx="0.75" className="fill-emerald-400" />
      </svg>
      <span className={compact ? 'sr-only sm:not-sr-only' : ''}>Quant-Trader</span>
    </span>
  );
}
