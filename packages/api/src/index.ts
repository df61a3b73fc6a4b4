// The ports and scopes are contracts in `@qt/shared`; re-exported for the packages that wire or
// implement them next to the router (the engine's server, billing, marketplace).
export {
  type AlertScope,
  type AlertsPort,
  type BackfillInput,
  type BackfillJobView,
  type BackfillProgressView,
  type BillingPort,
  type BillingScope,
  backfillInput,
  type CoverageInput,
  type CoverageView,
  type HistoryPort,
  type HistoryScope,
  type KillSwitchView,
  type MarketPort,
  type MarketplacePort,
  type MarketplaceScope,
  type Page,
  type QuoteInput,
  type StrategiesPort,
  type StrategyScope,
  type TenantScope,
  type TradingPort,
} from '@qt/shared';
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
export {
  type TierCapCheck,
  tierCapReached,
  withinTierCap,
} from './domains/tier-caps/within-tier-cap.ts';
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
