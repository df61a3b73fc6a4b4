import { AppError, type MarketplacePort } from '@qt/shared';
import type { ApiDeps } from '../../context.ts';

export { billingScopeOf as marketplaceScopeOf } from '../billing/scope.ts';

export function marketplaceOf(deps: ApiDeps): MarketplacePort {
  if (!deps.marketplace)
    throw new AppError('SERVICE_UNAVAILABLE', 'The marketplace is not running on this engine.');
  return deps.marketplace;
}
