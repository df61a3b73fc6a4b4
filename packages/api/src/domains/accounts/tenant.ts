import type { TenantView } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { toTenantView } from './views.ts';

// A principal only ever reaches its own tenant: the id comes from the credential, never from input.

export async function getTenant(deps: ApiDeps, principal: Principal): Promise<TenantView> {
  const tenant = await deps.db.tenant.findUniqueOrThrow({ where: { id: principal.tenant.id } });
  return toTenantView(tenant);
}

export async function renameTenant(deps: ApiDeps, principal: Principal, name: string): Promise<TenantView> {
  const tenant = await deps.db.tenant.update({ where: { id: principal.tenant.id }, data: { name } });
  // Principals carry the tenant's view: cached ones must not show the old name.
  await deps.credentialCache?.invalidate({ tenantId: tenant.id });
  deps.logger.info({ tenantId: tenant.id, by: principal.userId ?? principal.apiKeyId }, 'tenant renamed');
  return toTenantView(tenant);
}
