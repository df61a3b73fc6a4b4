import { type AlertScope, type AlertsPort, AppError } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { scopeOf } from '../trading/scope.ts';

export function alertScopeOf(principal: Principal): AlertScope {
  return { ...scopeOf(principal), tier: principal.tenant.tier };
}

export function alertsOf(deps: ApiDeps): AlertsPort {
  if (!deps.alerts) throw new AppError('SERVICE_UNAVAILABLE', 'Alerts are not running on this engine.');
  return deps.alerts;
}
