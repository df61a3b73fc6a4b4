'use client';

import { signOut } from 'next-auth/react';
import { useState } from 'react';
import { Button } from '@/components/ui/button';

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="secondary"
      size="sm"
      disabled={pending}
      data-testid="signout"
      onClick={() => {
        setPending(true);
        // A full page load follows, which also drops the in-memory engine token and query cache.
        void signOut({ callbackUrl: '/signin' });
      }}
    >
      Sign out
    </Button>
  );
}
