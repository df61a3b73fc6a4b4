import { z } from 'zod';
import { apiKeyScopeSchema, roleSchema, tierSchema } from './roles.ts';

// Inputs are strict: a field the caller may not set (tenantId, tier, role, ...) is an error, not silently
// dropped, so a client that believes it set one learns at once that it did not (OWASP API3).

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .pipe(z.string().max(254));

/** NIST 800-63B: length over composition rules; 8 is the floor, long passphrases welcome. */
export const passwordSchema = z
  .string()
  .min(8, 'Use at least 8 characters.')
  .max(256, 'Use at most 256 characters.');

export const signUpInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1).max(100).optional(),
  tenantName: z.string().trim().min(1).max(100).optional(),
});
export type SignUpInput = z.infer<typeof signUpInput>;

export const signInInput = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(256),
});
export type SignInInput = z.infer<typeof signInInput>;

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string().nullable(),
});

export const tenantSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  tier: tierSchema,
  createdAt: z.iso.datetime(),
});
export type TenantView = z.infer<typeof tenantSchema>;

export const signedInSchema = z.object({
  user: userSchema,
  tenant: tenantSchema,
  role: roleSchema,
});
export type SignedIn = z.infer<typeof signedInSchema>;

export const meSchema = z.object({
  user: userSchema.nullable(),
  tenant: tenantSchema,
  role: roleSchema,
  via: z.enum(['session', 'apiKey']),
  scopes: z.array(apiKeyScopeSchema),
});
export type Me = z.infer<typeof meSchema>;

export const updateTenantInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
});

export const createApiKeyInput = z.strictObject({
  name: z.string().trim().min(1, 'Give the key a name.').max(100),
  scopes: z.array(apiKeyScopeSchema).min(1, 'Pick at least one scope.').max(3),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

export const apiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(apiKeyScopeSchema),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeySchema>;

export const createdApiKeySchema = z.object({
  apiKey: apiKeySchema,
  /** The whole key. Returned once, at creation; only its hash is stored. */
  secret: z.string(),
});

export const idInput = z.strictObject({ id: z.uuid() });
