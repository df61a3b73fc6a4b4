import type { ReactNode } from 'react';

/** "We sent you a link": the same words whether or not the address has an account (nothing to enumerate). */
export function CheckEmail({ email, children }: { email: string; children?: ReactNode }) {
  return (
    <div
      role="status"
      data-testid="check-email"
      className="space-y-2 rounded-md border border-emerald-500/30 bg-emerald-500/10 px-3 py-3 text-sm text-emerald-100"
    >
      <p className="font-medium">Check your email.</p>
      <p>
        If <span className="font-mono">{email}</span> can use this, a link is on its way. Open it to continue;
        it may take a minute, and may land in spam.
      </p>
      {children}
    </div>
  );
}
