import 'server-only';
import type { AuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { describeEngineError } from '@/engine/engine-error';
import { serverEngineClient } from '@/engine/server-engine-client';
import { serverEnv } from '@/env';
import { EMAIL_NOT_VERIFIED_ERROR } from '@/features/auth/sign-in-errors';

/**
 * next-auth keeps the person's session in a signed JWT cookie; the password check is the engine's
 * (`auth.signIn`: argon2id, attempts limited per IP and per IP + email). The IP is the browser's address
 * as this server saw it, never a header the browser wrote: server.mjs overwrites X-Forwarded-For and
 * `serverEngineClient` passes only that on. Nothing here touches a database. Built on first use so
 * `next build` needs no secrets.
 */
let options: AuthOptions | undefined;

export function authOptions(): AuthOptions {
  options ??= {
    secret: serverEnv().nextAuthSecret,
    session: { strategy: 'jwt' },
    pages: { signIn: '/signin', error: '/signin' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: {
          email: { label: 'Email', type: 'email' },
          password: { label: 'Password', type: 'password' },
        },
        async authorize(credentials) {
          try {
            const engine = await serverEngineClient();
            const { user, tenant, role } = await engine.auth.signIn.mutate({
              email: credentials?.email ?? '',
              password: credentials?.password ?? '',
            });
            return {
              id: user.id,
              email: user.email,
              name: user.name,
              tenantId: tenant.id,
              tenantName: tenant.name,
              role,
            };
          } catch (err) {
            // next-auth hands a thrown message to the sign-in form (`signIn(...).error`).
            const problem = describeEngineError(err, { email: 'Email', password: 'Password' });
            if (problem.code === 'ACCOUNT_EMAIL_NOT_VERIFIED') throw new Error(EMAIL_NOT_VERIFIED_ERROR);
            throw new Error(problem.message);
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.userId = user.id;
          token.tenantId = user.tenantId;
          token.tenantName = user.tenantName;
          token.role = user.role;
          // Only at sign-in: later refreshes of the cookie keep it, so it dates the session itself.
          token.signedInAt = Date.now();
        }
        return token;
      },
      session({ session, token }) {
        return {
          ...session,
          user: { id: token.userId, email: token.email ?? '', name: token.name ?? null },
          tenant: { id: token.tenantId, name: token.tenantName },
          role: token.role,
          signedInAt: token.signedInAt ?? null,
        };
      },
    },
  };
  return options;
}
