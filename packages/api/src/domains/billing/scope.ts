import { AppError, type BillingPort, type BillingScope } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { scopeOf } from '../trading/scope.ts';

export function billingScopeOf(principal: Principal): BillingScope {
  return {
    ...scopeOf(principal),
    tier: principal.tenant.tier,
    tenantName: principal.tenant.name,
    userId: principal.userId,
  };
}

export function billingOf(deps: ApiDeps): BillingPort {
  if (!deps.billing) throw new AppError('SERVICE_UNAVAILABLE', 'Billing is not running on this engine.');
  return deps.billing;
}
