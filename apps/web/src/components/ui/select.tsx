import { type ComponentProps, useId } from 'react';

export interface SelectProps extends ComponentProps<'select'> {
  label: string;
}

/** A compact labelled select for toolbars: the label sits above in small caps. */
export function Select({ label, className = '', id, children, ...props }: SelectProps) {
  const generated = useId();
  const selectId = id ?? generated;
  return (
    <div className={className}>
      <label
        htmlFor={selectId}
        className="mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase"
      >
        {label}
      </label>
      <select
        id={selectId}
        className="block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm font-medium text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none disabled:cursor-not-allowed disabled:opacity-60"
        {...props}
      >
        {children}
      </select>
    </div>
  );
}
