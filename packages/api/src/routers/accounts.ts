import { meSchema, tenantSchema, updateTenantInput } from '@qt/shared';
import { getMe } from '../domains/accounts/me.ts';
import { getTenant, renameTenant } from '../domains/accounts/tenant.ts';
import { authedProcedure, manageProcedure, router } from '../trpc.ts';

export const accountsRouter = router({
  me: authedProcedure.output(meSchema).query(({ ctx }) => getMe(ctx.deps, ctx.principal)),
  tenant: authedProcedure.output(tenantSchema).query(({ ctx }) => getTenant(ctx.deps, ctx.principal)),
  updateTenant: manageProcedure
    .input(updateTenantInput)
    .output(tenantSchema)
    .mutation(({ ctx, input }) => renameTenant(ctx.deps, ctx.principal, input.name)),
});
