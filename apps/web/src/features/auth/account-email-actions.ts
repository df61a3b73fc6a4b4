'use server';

import { describeEngineError } from '@/engine/engine-error';
import { serverEngineClient } from '@/engine/server-engine-client';

// The account-email steps (verify, resend, reset), called from the auth pages. Server actions are public
// endpoints: every input is rebuilt as a string before it goes to the engine, which validates it strictly.

export type ActionResult = { ok: true } | { ok: false; message: string; fieldErrors: Record<string, string> };

async function run(call: () => Promise<unknown>, labels: Record<string, string> = {}): Promise<ActionResult> {
  try {
    await call();
    return { ok: true };
  } catch (err) {
    const problem = describeEngineError(err, labels);
    return { ok: false, message: problem.message, fieldErrors: problem.fieldErrors };
  }
}

export async function verifyEmailAction(token: string): Promise<ActionResult> {
  const engine = await serverEngineClient();
  return run(() => engine.auth.verifyEmail.mutate({ token: String(token ?? '') }));
}

export async function resendVerificationAction(email: string): Promise<ActionResult> {
  const engine = await serverEngineClient();
  return run(() => engine.auth.resendVerification.mutate({ email: String(email ?? '') }), { email: 'Email' });
}

export async function requestPasswordResetAction(email: string): Promise<ActionResult> {
  const engine = await serverEngineClient();
  return run(() => engine.auth.requestPasswordReset.mutate({ email: String(email ?? '') }), {
    email: 'Email',
  });
}

export async function resetPasswordAction(token: string, password: string): Promise<ActionResult> {
  const engine = await serverEngineClient();
  return run(
    () => engine.auth.resetPassword.mutate({ token: String(token ?? ''), password: String(password ?? '') }),
    { password: 'New password', token: 'Link' },
  );
}
