import type { Role } from '@qt/shared';

// What the session carries besides the person: the tenant they signed in to and their role there.
// The engine re-checks both on every call; these only drive what the dashboard shows.

declare module 'next-auth' {
  interface User {
    id: string;
    tenantId: string;
    tenantName: string;
    role: Role;
  }

  interface Session {
    user: { id: string; email: string; name: string | null };
    tenant: { id: string; name: string };
    role: Role;
    /** When the person signed in (ms); null for a cookie from before this was recorded. */
    signedInAt: number | null;
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    userId: string;
    tenantId: string;
    tenantName: string;
    role: Role;
    /**
     * When the person signed in (ms since the epoch), set once at sign-in and never refreshed: engine
     * tokens carry it, and the engine refuses them once the person signed out or reset the password
     * after it. Absent in cookies issued before it was recorded.
     */
    signedInAt?: number;
  }
}
