import type { Me } from '@qt/shared';
import type { Principal } from '../../auth/principal.ts';
import type { ApiDeps } from '../../context.ts';
import { toUserView } from './views.ts';

export async function getMe(deps: ApiDeps, principal: Principal): Promise<Me> {
  const user =
    principal.via === 'session' && principal.userId
      ? await deps.db.user.findUnique({ where: { id: principal.userId } })
      : null;
  return {
    user: user ? toUserView(user) : null,
    tenant: principal.tenant,
    role: principal.role,
    via: principal.via,
    scopes: [...principal.scopes],
  };
}
