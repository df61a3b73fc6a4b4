import { apiKeySchema, createApiKeyInput, createdApiKeySchema, idInput } from '@qt/shared';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../domains/api-keys/manage-api-keys.ts';
import { manageProcedure, router } from '../trpc.ts';

export const apiKeysRouter = router({
  create: manageProcedure
    .input(createApiKeyInput)
    .output(createdApiKeySchema)
    .mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.principal, input)),
  list: manageProcedure
    .output(z.array(apiKeySchema))
    .query(({ ctx }) => listApiKeys(ctx.deps, ctx.principal)),
  revoke: manageProcedure
    .input(idInput)
    .output(apiKeySchema)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.principal, input.id)),
});
