import { accountsRouter } from './routers/accounts.ts';
import { apiKeysRouter } from './routers/api-keys.ts';
import { authRouter } from './routers/auth.ts';
import { marketRouter } from './routers/market.ts';
import { systemRouter } from './routers/system.ts';
import { router } from './trpc.ts';

/** One router per domain. Later issues add orders, strategies, alerts, marketplace, billing. */
export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  accounts: accountsRouter,
  apiKeys: apiKeysRouter,
  market: marketRouter,
});

export type AppRouter = typeof appRouter;
