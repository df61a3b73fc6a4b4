import { TRPCClientError } from '@trpc/client';
import { expect } from 'vitest';

/** Expects the call to fail with this app error code (and, when given, a message matching `message`). */
export async function expectAppError(call: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await call.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  const e = err as TRPCClientError<never>;
  const appCode = (e.data as { appCode?: string } | undefined)?.appCode;
  expect(appCode, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
}
