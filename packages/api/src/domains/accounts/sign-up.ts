import { Prisma } from '@qt/db';
import { type MailMessage, signUpAttemptMail, verifyEmailMail } from '@qt/notify';
import type { SignedIn, SignUpInput, SignUpResult } from '@qt/shared';
import { ipBucket } from '../../auth/ip-bucket.ts';
import { hashPassword } from '../../auth/passwords.ts';
import type { ApiDeps } from '../../context.ts';
import { newAccountToken } from './account-mail.ts';
import { toTenantView, toUserView } from './views.ts';

export const VERIFY_EMAIL_TTL_HOURS = 24;

/**
 * Sign-up that cannot be used to learn who has an account: every branch hashes the password, queues
 * one job and gives the same answer after the same work. What differs by address (the lookup, the
 * account's creation, the link's token, which email) happens in the job, off the request path:
 *  - new address: an unverified person, their tenant and membership, and a verification link (24 h);
 *  - address of a verified account: an email to its owner ("someone tried to sign up; sign in or reset
 *    your password"), and nothing changes;
 *  - address of an unverified account (an earlier sign-up never confirmed): that sign-up is replaced by
 *    this one (new password, earlier links void) and a fresh link goes out. Until the link is opened the
 *    account cannot sign in, so the one who controls the mailbox decides which sign-up becomes the account.
 * Throttled per client address first, then globally (a request refused for its address spends nothing of
 * the global budget, so one address cannot use it up), spent before any work.
 */
export async function signUp(deps: ApiDeps, input: SignUpInput, ip: string): Promise<SignUpResult> {
  const { throttles } = deps.accounts;
  const bucket = ipBucket(ip);
  await throttles.signUpByIp.take(bucket);
  await throttles.signUpGlobal.take('all');
  const passwordHash = await hashPassword(input.password);
  // Spent in every branch, so the request's work does not depend on the address.
  const mailAllowed = await deps.accounts.mayMail(input.email, bucket);
  deps.accounts.enqueueJob('sign-up', () => signUpJob(deps, input, passwordHash, mailAllowed));
  return sent;
}

async function signUpJob(
  deps: ApiDeps,
  input: SignUpInput,
  passwordHash: string,
  mailAllowed: boolean,
): Promise<MailMessage | null> {
  const existing = await deps.db.user.findUnique({ where: { email: input.email } });
  if (existing?.emailVerifiedAt) return mailAllowed ? attemptMail(deps, input.email) : null;
  // An unverified address that had its share of email this hour is left as it is: a new password with
  // no link to confirm it would only lock its owner out.
  if (existing && !mailAllowed) return null;
  try {
    // A new address gets its first link even over the mail budget: nothing was sent to it as an account.
    const token = existing
      ? await restartSignUp(deps, existing.id, passwordHash, input.name)
      : (await createAccount(deps, input, { passwordHash })).verifyToken;
    return token ? verificationMail(deps, input.email, token) : null;
  } catch (err) {
    // Two sign-ups for one new address at once: the other created it, and its link is on the way.
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return null;
    throw err;
  }
}

const sent: SignUpResult = { status: 'verification_sent' };

export interface CreateAccountOptions {
  /** Set: the account is created verified at this time and no link is issued (demo login, test fixtures). */
  verifiedAt?: Date;
  /** Already hashed (sign-up hashes before looking the address up, for equal timing). */
  passwordHash?: string;
}

/**
 * Creates a person, their own tenant (FREE tier) and an OWNER membership in one transaction; unverified
 * ones also get a verification token (returned once; only its hash is stored). Throws Prisma's P2002 when
 * the address is taken. Sign-up calls it; so do the demo login and test fixtures, with `verifiedAt`.
 */
export async function createAccount(
  deps: ApiDeps,
  input: SignUpInput,
  opts: CreateAccountOptions = {},
): Promise<SignedIn & { verifyToken: string | null }> {
  const passwordHash = opts.passwordHash ?? (await hashPassword(input.password));
  const localPart = input.email.split('@')[0] ?? input.email;
  const tenantName = input.tenantName ?? `${input.name ?? localPart}'s workspace`;
  const link = opts.verifiedAt ? null : newAccountToken();
  return deps.db.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: {
        email: input.email,
        name: input.name ?? null,
        passwordHash,
        emailVerifiedAt: opts.verifiedAt ?? null,
      },
    });
    const tenant = await tx.tenant.create({ data: { name: tenantName } });
    await tx.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'OWNER' } });
    if (link) {
      await tx.accountToken.create({
        data: { userId: user.id, purpose: 'VERIFY_EMAIL', hash: link.hash, expiresAt: verifyExpiry(deps) },
      });
    }
    deps.logger.info({ userId: user.id, tenantId: tenant.id, verified: !link }, 'account created');
    return {
      user: toUserView(user),
      tenant: toTenantView(tenant),
      role: 'OWNER' as const,
      verifyToken: link?.token ?? null,
    };
  });
}

/** An unverified account signed up again: the new password replaces the old, earlier links stop working. */
async function restartSignUp(
  deps: ApiDeps,
  userId: string,
  passwordHash: string,
  name: string | undefined,
): Promise<string | null> {
  const link = newAccountToken();
  const done = await deps.db.$transaction(async (tx) => {
    // Conditional on still being unverified: a link opened meanwhile wins, and then nothing changes.
    const updated = await tx.user.updateMany({
      where: { id: userId, emailVerifiedAt: null },
      data: { passwordHash, ...(name ? { name } : {}) },
    });
    if (updated.count === 0) return false;
    await tx.accountToken.deleteMany({ where: { userId, purpose: 'VERIFY_EMAIL' } });
    await tx.accountToken.create({
      data: { userId, purpose: 'VERIFY_EMAIL', hash: link.hash, expiresAt: verifyExpiry(deps) },
    });
    return true;
  });
  return done ? link.token : null;
}

export function verifyExpiry(deps: ApiDeps): Date {
  return new Date(deps.clock.now() + VERIFY_EMAIL_TTL_HOURS * 3_600_000);
}

export function verificationMail(deps: ApiDeps, to: string, token: string) {
  const link = `${deps.accounts.webPublicUrl}/verify-email?token=${token}`;
  return verifyEmailMail({ to, link, expiresInHours: VERIFY_EMAIL_TTL_HOURS });
}

function attemptMail(deps: ApiDeps, to: string) {
  const base = deps.accounts.webPublicUrl;
  return signUpAttemptMail({ to, signInUrl: `${base}/signin`, resetUrl: `${base}/reset-password` });
}
