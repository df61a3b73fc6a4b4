import { z } from 'zod';
import { apiKeyScopeSchema, roleSchema, tierSchema } from './roles.ts';

// Inputs are strict: a field the caller may not set (tenantId, tier, role, ...) is an error, not silently
// dropped, so a client that believes it set one learns at once that it did not (OWASP API3).

/**
 * PostgreSQL text cannot hold U+0000: a name carrying it would fail in the database as a bare 500. Every
 * stored free text (names, descriptions) refuses it here, as VALIDATION_FAILED.
 */
export const withoutNul = (s: string): boolean => !s.includes('\u0000');
export const NUL_MESSAGE = 'Must not contain the NUL character (U+0000).';

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
  name: z.string().trim().min(1).max(100).refine(withoutNul, NUL_MESSAGE).optional(),
  tenantName: z.string().trim().min(1).max(100).refine(withoutNul, NUL_MESSAGE).optional(),
});
export type SignUpInput = z.infer<typeof signUpInput>;

/**
 * Sign-up answers the same whether or not the address already has an account (so it cannot be used to
 * find out who has one): the account is confirmed by the link emailed to the address.
 */
export const signUpResultSchema = z.object({ status: z.literal('verification_sent') });
export type SignUpResult = z.infer<typeof signUpResultSchema>;

/** The token of an emailed link (verify, reset): 32 random bytes, base64url. */
export const accountTokenSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'This link is incomplete: open it from the email again.');

export const verifyEmailInput = z.strictObject({ token: accountTokenSchema });
export type VerifyEmailInput = z.infer<typeof verifyEmailInput>;
export const verifyEmailResultSchema = z.object({ status: z.literal('email_verified') });

/** Resend the verification link, or ask for a password-reset link: the same answer whether or not the address exists. */
export const emailOnlyInput = z.strictObject({ email: emailSchema });
export type EmailOnlyInput = z.infer<typeof emailOnlyInput>;
export const accountMailSentSchema = z.object({ status: z.literal('email_sent') });
export type AccountMailSent = z.infer<typeof accountMailSentSchema>;

export const resetPasswordInput = z.strictObject({ token: accountTokenSchema, password: passwordSchema });
export type ResetPasswordInput = z.infer<typeof resetPasswordInput>;
export const resetPasswordResultSchema = z.object({ status: z.literal('password_reset') });

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
  name: z.string().trim().min(1).max(100).refine(withoutNul, NUL_MESSAGE),
});

export const createApiKeyInput = z.strictObject({
  name: z.string().trim().min(1, 'Give the key a name.').max(100).refine(withoutNul, NUL_MESSAGE),
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
