'use client';

import type { AppRouter } from '@qt/api';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { signOut } from 'next-auth/react';
import { type ReactNode, useState } from 'react';
import { createBrowserEngineClient } from './browser-engine-client';
import { isEngineError } from './engine-error';
import { createEngineTokenSource } from './engine-token';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // A refusal (4xx: forbidden, not found, bad input) will not change on retry; a network blip may.
        retry: (failures, err) => {
          const status = isEngineError(err) ? err.data?.httpStatus : undefined;
          return failures < 2 && !(status && status >= 400 && status < 500);
        },
      },
    },
  });
}

export interface EngineProviderProps {
  engineUrl: string;
  engineWsUrl: string;
  children: ReactNode;
}

/**
 * Gives client components `useTRPC()` against the engine. The URLs come from the server at request time
 * (not NEXT_PUBLIC_* build-time variables), so one build runs anywhere.
 */
export function EngineProvider({ engineUrl, engineWsUrl, children }: EngineProviderProps) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createBrowserEngineClient({
      engineUrl,
      engineWsUrl,
      tokens: createEngineTokenSource(() => {
        window.location.assign(`/signin?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
      }),
      // The session was ended elsewhere (sign-out, password reset): clear this browser's cookie too.
      onSessionRevoked: () => {
        void signOut({
          callbackUrl: `/signin?callbackUrl=${encodeURIComponent(window.location.pathname)}`,
        });
      },
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
