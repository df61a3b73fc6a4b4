'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { badgeText } from './notifications';
import { useNotifications } from './use-notifications';

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** The bell in the top bar: unread count, the latest firings live, mark one or all read. */
export function NotificationCentre() {
  const n = useNotifications();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const badge = badgeText(n.unread);

  // Closes on a click elsewhere or Escape, as a menu does.
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div ref={box} className="relative">
      <button
        type="button"
        data-testid="notifications-button"
        aria-haspopup="true"
        aria-expanded={open}
        aria-label={badge ? `Notifications, ${n.unread} unread` : 'Notifications'}
        onClick={() => setOpen((o) => !o)}
        className="relative flex size-9 items-center justify-center rounded-md text-zinc-300 hover:bg-zinc-800 hover:text-zinc-100"
      >
        <svg
          viewBox="0 0 24 24"
          className="size-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.75"
          strokeLinecap="round"
          strokeLinejoin="round"
          aria-hidden="true"
        >
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {badge && (
          <span
            data-testid="notifications-badge"
            className="absolute -top-0.5 -right-0.5 min-w-4 rounded-full bg-rose-500 px-1 text-center text-[10px] leading-4 font-semibold text-white"
          >
            {badge}
          </span>
        )}
      </button>
      {open && (
        <div
          data-testid="notifications-panel"
          className="absolute right-0 z-30 mt-2 w-96 max-w-[calc(100vw-2rem)] rounded-xl border border-zinc-700 bg-zinc-900 shadow-2xl"
        >
          <header className="flex items-center justify-between border-b border-zinc-800 px-4 py-2.5">
            <h2 className="text-sm font-semibold text-zinc-100">Alerts</h2>
            <Button
              variant="ghost"
              size="sm"
              onClick={n.markAllRead}
              disabled={n.unread === 0}
              data-testid="notifications-mark-all"
            >
              Mark all read
            </Button>
          </header>
          <ul className="max-h-96 divide-y divide-zinc-800 overflow-y-auto">
            {n.firings.length === 0 && (
              <li className="px-4 py-6 text-center text-sm text-zinc-500">
                {n.loading
                  ? 'Loading…'
                  : n.error
                    ? 'Alerts could not be loaded.'
                    : 'No alerts have fired yet.'}
              </li>
            )}
            {n.firings.map((f) => (
              <li key={f.id}>
                <button
                  type="button"
                  data-testid="notification-item"
                  data-unread={f.readAt === null}
                  onClick={() => n.markRead([f.id])}
                  className="flex w-full gap-3 px-4 py-2.5 text-left hover:bg-zinc-800/60"
                >
                  <span
                    aria-hidden="true"
                    className={`mt-1.5 size-2 shrink-0 rounded-full ${f.readAt === null ? 'bg-emerald-400' : 'bg-transparent'}`}
                  />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium text-zinc-100">{f.alertName}</span>
                    <span className="block text-xs break-words text-zinc-400">{f.message}</span>
                    <span className="block text-[11px] text-zinc-500">{timeFormat.format(f.at)}</span>
                  </span>
                  {f.readAt === null && <span className="sr-only">unread</span>}
                </button>
              </li>
            ))}
          </ul>
          <footer className="border-t border-zinc-800 px-4 py-2 text-right">
            <Link
              href="/alerts"
              className="text-xs font-medium text-emerald-300 hover:underline"
              onClick={() => setOpen(false)}
            >
              All alerts and history
            </Link>
          </footer>
        </div>
      )}
    </div>
  );
}
