export {
  type AttemptLimiter,
  type AttemptLimitOptions,
  createAttemptLimiter,
  type Reservation,
} from './auth/attempt-limiter.ts';
export { authenticate } from './auth/authenticate.ts';
export {
  type CredentialCache,
  type CredentialCacheOptions,
  type CredentialChange,
  type CredentialIdentity,
  changeConcerns,
  createCredentialCache,
} from './auth/credential-cache.ts';
export { type Recheck, revalidateCredential, revokeSessions } from './auth/live-session.ts';
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
export type { AlertScope, AlertsPort } from './domains/alerts/alerts-port.ts';
export type { BillingPort, BillingScope } from './domains/billing/billing-port.ts';
export {
  type BackfillInput,
  type BackfillJobView,
  type BackfillProgressView,
  backfillInput,
  type CoverageInput,
  type CoverageView,
  type HistoryPort,
  type HistoryScope,
} from './domains/history/history-port.ts';
export type { MarketPort, QuoteInput } from './domains/market/market-port.ts';
export type { MarketplacePort, MarketplaceScope } from './domains/marketplace/marketplace-port.ts';
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
export {
  type BucketOutcome,
  type BucketSpec,
  type BucketStore,
  bucketSpec,
  gcra,
  MemoryBuckets,
  type TakeResult,
  takeAll,
} from './limits/gcra.ts';
export { rateLimitHeaders } from './limits/headers.ts';
export { RedisBuckets } from './limits/redis-buckets.ts';
export {
  type LimiterMode,
  type LimiterStats,
  type LimitScope,
  type PolicyState,
  RequestLimiter,
  type RequestLimiterOptions,
} from './limits/request-limiter.ts';
export { type RequestLimits, type RequestLimitsOptions, startRequestLimits } from './limits/start-limits.ts';
export { setTenantTier, TenantLimitsCache, type TierChangeDeps } from './limits/tenant-limits.ts';
export {
  type UsageCounts,
  type UsageKind,
  UsageMeter,
  type UsageMeterOptions,
  utcDay,
} from './limits/usage-meter.ts';
export { type AppRouter, appRouter } from './root.ts';
export { createCallerFactory } from './trpc.ts';
