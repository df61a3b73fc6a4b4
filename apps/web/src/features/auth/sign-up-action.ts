'use server';

import { describeEngineError } from '@/engine/engine-error';
import { serverEngineClient } from '@/engine/server-engine-client';

export interface SignUpFields {
  email: string;
  password: string;
  name: string;
  tenantName: string;
}

export type SignUpResult = { ok: true } | { ok: false; message: string; fieldErrors: Record<string, string> };

const labels = { email: 'Email', password: 'Password', name: 'Name', tenantName: 'Workspace name' };

/**
 * Creates the account on the engine (which validates strictly and hashes the password); the form then
 * signs in through next-auth with the same credentials. A server action is a public endpoint, so the
 * input is rebuilt field by field rather than passed through.
 */
export async function signUpAction(fields: SignUpFields): Promise<SignUpResult> {
  const optional = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  try {
    const engine = await serverEngineClient();
    await engine.auth.signUp.mutate({
      email: String(fields.email ?? ''),
      password: String(fields.password ?? ''),
      name: optional(fields.name),
      tenantName: optional(fields.tenantName),
    });
    return { ok: true };
  } catch (err) {
    const problem = describeEngineError(err, labels);
    return { ok: false, message: problem.message, fieldErrors: problem.fieldErrors };
  }
}
