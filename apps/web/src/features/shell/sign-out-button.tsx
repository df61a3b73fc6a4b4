'use client';

import { signOut } from 'next-auth/react';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { useTRPCClient } from '@/engine/react';

/** How long sign-out waits for the engine before ending the web session anyway. */
const ENGINE_SIGN_OUT_WAIT_MS = 3_000;

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  const engine = useTRPCClient();
  return (
    <Button
      variant="secondary"
      size="sm"
      disabled={pending}
      data-testid="signout"
      onClick={() => {
        setPending(true);
        // First the engine: it refuses every engine token issued to this person so far and closes their
        // live subscriptions (a copied token stops working too). The web session ends whatever the engine
        // answers (unreachable, slow): signing out must never be blocked by it.
        const engineSignOut = engine.auth.signOut.mutate().catch(() => undefined);
        const waited = new Promise((resolve) => setTimeout(resolve, ENGINE_SIGN_OUT_WAIT_MS));
        void Promise.race([engineSignOut, waited]).finally(() => {
          // A full page load follows, which also drops the in-memory engine token and query cache.
          void signOut({ callbackUrl: '/signin' });
        });
      }}
    >
      Sign out
    </Button>
  );
}
