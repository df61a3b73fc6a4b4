'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/engine/react';

/** Who the engine says is calling: tenant (name, tier), role and scopes. One cached query for the shell and pages. */
export function useMe() {
  const trpc = useTRPC();
  return useQuery(trpc.accounts.me.queryOptions());
}
