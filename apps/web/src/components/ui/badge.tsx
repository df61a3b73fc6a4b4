import type { ComponentProps } from 'react';

export type BadgeTone = 'neutral' | 'green' | 'amber' | 'red' | 'blue' | 'violet';

const tones: Record<BadgeTone, string> = {
  neutral: 'border-zinc-700 bg-zinc-800 text-zinc-300',
  green: 'border-emerald-500/30 bg-emerald-500/10 text-emerald-300',
  amber: 'border-amber-500/30 bg-amber-500/10 text-amber-300',
  red: 'border-rose-500/30 bg-rose-500/10 text-rose-300',
  blue: 'border-sky-500/30 bg-sky-500/10 text-sky-300',
  violet: 'border-violet-500/30 bg-violet-500/10 text-violet-300',
};

export interface BadgeProps extends ComponentProps<'span'> {
  tone?: BadgeTone;
  /** Small caps look; off where the text itself matters (a status read by tests and screen readers). */
  caps?: boolean;
}

export function Badge({ tone = 'neutral', caps = true, className = '', ...props }: BadgeProps) {
  return (
    <span
      className={`inline-flex items-center rounded border px-1.5 py-0.5 text-[11px] font-semibold tracking-wide ${caps ? 'uppercase' : ''} ${tones[tone]} ${className}`}
      {...props}
    />
  );
}
