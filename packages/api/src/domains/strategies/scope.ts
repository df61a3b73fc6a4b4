import { AppError, type StrategiesPort, type StrategyScope } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { scopeOf } from '../trading/scope.ts';

export function strategyScopeOf(principal: Principal): StrategyScope {
  return { ...scopeOf(principal), tier: principal.tenant.tier };
}

export function strategiesOf(deps: ApiDeps): StrategiesPort {
  if (!deps.strategies)
    throw new AppError('SERVICE_UNAVAILABLE', 'Strategies are not running on this engine.');
  return deps.strategies;
}
