import { AppError, type TenantScope, type TradingPort } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';

/** The tenant always comes from the credential, never from input. */
export function scopeOf(principal: Principal): TenantScope {
  return {
    tenantId: principal.tenant.id,
    actor: principal.via === 'apiKey' ? `key:${principal.apiKeyId}` : `user:${principal.userId}`,
  };
}

export function tradingOf(deps: ApiDeps): TradingPort {
  if (!deps.trading)
    throw new AppError('SERVICE_UNAVAILABLE', 'Paper trading is not running on this engine.');
  return deps.trading;
}
