'use server';

import { describeEngineError } from '@/engine/engine-error';
import { serverEngineClient } from '@/engine/server-engine-client';

export interface SignUpFields {
  email: string;
  password: string;
  name: string;
  tenantName: string;
}

export type SignUpActionResult =
  | { ok: true }
  | { ok: false; message: string; fieldErrors: Record<string, string> };

const labels = { email: 'Email', password: 'Password', name: 'Name', tenantName: 'Workspace name' };

/**
 * Asks the engine to create the account (it validates strictly, hashes the password and emails a
 * confirmation link). The engine answers the same whether or not the address already has an account,
 * so the form can only say "check your email". A server action is a public endpoint, so the input is
 * rebuilt field by field rather than passed through.
 */
export async function signUpAction(fields: SignUpFields): Promise<SignUpActionResult> {
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
