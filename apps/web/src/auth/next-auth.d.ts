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
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    userId: string;
    tenantId: string;
    tenantName: string;
    role: Role;
  }
}
