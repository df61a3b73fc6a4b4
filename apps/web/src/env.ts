import 'server-only';
import { z } from 'zod';

const DEFAULT_ENGINE_URL = 'http://127.0.0.1:4000';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const baseUrl = z.preprocess(
  emptyAsUndefined,
  z
    .url()
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
);

const envSchema = z
  .object({
    /** Where this server reaches the engine (sign-in, sign-up). */
    ENGINE_URL: baseUrl,
    /** Where browsers reach the engine; differs from ENGINE_URL behind a proxy or in containers. */
    ENGINE_PUBLIC_URL: baseUrl,
    /** Shared with the engine: signs the short-lived engine session tokens. */
    SESSION_SECRET: z
      .string()
      .min(32, 'SESSION_SECRET must be at least 32 characters (shared with the engine).'),
    /** Signs the next-auth session cookie; defaults to SESSION_SECRET. */
    NEXTAUTH_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32).optional()),
    /** Read by next-auth itself (callback URLs); validated here so a malformed value fails at start. */
    NEXTAUTH_URL: baseUrl,
  })
  .transform((e) => {
    const url = e.ENGINE_URL ?? DEFAULT_ENGINE_URL;
    const publicUrl = e.ENGINE_PUBLIC_URL ?? url;
    return {
      engine: { url, publicUrl, publicWsUrl: `${publicUrl.replace(/^http/, 'ws')}/trpc` },
      sessionSecret: e.SESSION_SECRET,
      nextAuthSecret: e.NEXTAUTH_SECRET ?? e.SESSION_SECRET,
    };
  });

export type ServerEnv = z.infer<typeof envSchema>;

let parsed: ServerEnv | undefined;

/**
 * The web server's configuration, parsed once on first use. Lazy rather than at import so `next build`
 * does not need runtime secrets: one build runs anywhere, configured when it starts.
 */
export function serverEnv(): ServerEnv {
  if (parsed) return parsed;
  const result = envSchema.safeParse(process.env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`quant-trader web: invalid environment\n${problems}`);
  }
  parsed = result.data;
  return parsed;
}
