export {
  type AttemptLimiter,
  type AttemptLimitOptions,
  createAttemptLimiter,
  type Reservation,
} from './auth/attempt-limiter.ts';
export {
  type CredentialCache,
  type CredentialCacheOptions,
  createCredentialCache,
} from './auth/credential-cache.ts';
export { revalidateCredential, revokeSessions } from './auth/live-session.ts';
export { hashPassword } from './auth/passwords.ts';
export type { Principal } from './auth/principal.ts';
export { SESSION_TTL_SECONDS, signSessionToken, verifySessionToken } from './auth/session-token.ts';
export * from './context.ts';
export {
  ACCOUNT_MAIL_QUEUE_BOUND,
  type AccountMail,
  type AccountMailOptions,
  createAccountMail,
} from './domains/accounts/account-mail.ts';
export { type CreateAccountOptions, createAccount, signUp } from './domains/accounts/sign-up.ts';
export type { MarketPort, QuoteInput } from './domains/market/market-port.ts';
export type { StrategiesPort, StrategyScope } from './domains/strategies/strategies-port.ts';
export {
  type TierCapCheck,
  tierCapReached,
  withinTierCap,
} from './domains/tier-caps/within-tier-cap.ts';
export type {
  KillSwitchView,
  Page,
  TenantScope,
  TradingPort,
} from './domains/trading/trading-port.ts';
export { type AppRouter, appRouter } from './root.ts';
export { createCallerFactory } from './trpc.ts';
