'use client';

import { type ReactNode, useEffect, useRef } from 'react';

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
}

/**
 * A modal on the native `<dialog>`: the browser gives focus trapping, Escape and the inert background.
 * The content is mounted only while open, so its fields start empty each time.
 */
export function Dialog({ open, onClose, title, description, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-label={title}
      className="m-auto w-full max-w-sm rounded-xl border border-zinc-700 bg-zinc-900 p-0 text-zinc-100 shadow-2xl backdrop:bg-zinc-950/70"
    >
      {open && (
        <div className="p-5">
          <h2 className="text-sm font-semibold text-zinc-50">{title}</h2>
          {description && <p className="mt-1 text-xs leading-relaxed text-zinc-400">{description}</p>}
          <div className="mt-4">{children}</div>
        </div>
      )}
    </dialog>
  );
}
