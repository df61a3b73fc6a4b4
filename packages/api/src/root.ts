import { accountsRouter } from './routers/accounts.ts';
import { alertsRouter } from './routers/alerts.ts';
import { apiKeysRouter } from './routers/api-keys.ts';
import { authRouter } from './routers/auth.ts';
import { backtestsRouter } from './routers/backtests.ts';
import { billingRouter } from './routers/billing.ts';
import { fillsRouter } from './routers/fills.ts';
import { historyRouter } from './routers/history.ts';
import { marketRouter } from './routers/market.ts';
import { marketplaceRouter } from './routers/marketplace.ts';
import { ordersRouter } from './routers/orders.ts';
import { paperAccountsRouter } from './routers/paper-accounts.ts';
import { riskRouter } from './routers/risk.ts';
import { strategiesRouter } from './routers/strategies.ts';
import { systemRouter } from './routers/system.ts';
import { usageRouter } from './routers/usage.ts';
import { watchlistRouter } from './routers/watchlist.ts';
import { router } from './trpc.ts';

/** One router per domain. */
export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  accounts: accountsRouter,
  apiKeys: apiKeysRouter,
  market: marketRouter,
  history: historyRouter,
  paperAccounts: paperAccountsRouter,
  orders: ordersRouter,
  fills: fillsRouter,
  risk: riskRouter,
  strategies: strategiesRouter,
  backtests: backtestsRouter,
  alerts: alertsRouter,
  usage: usageRouter,
  billing: billingRouter,
  marketplace: marketplaceRouter,
  watchlist: watchlistRouter,
});

export type AppRouter = typeof appRouter;
