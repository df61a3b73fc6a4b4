import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { describeEngineError, engineErrorCode } from './engine-error';

function engineError(message: string, data: Record<string, unknown>) {
  return TRPCClientError.from({ error: { message, code: -32600, data } });
}

describe('describeEngineError', () => {
  it('shows the engine message and keeps its stable code', () => {
    const err = engineError('An account with this email exists. Sign in instead.', {
      appCode: 'ACCOUNT_EMAIL_TAKEN',
      httpStatus: 409,
    });
    expect(describeEngineError(err)).toEqual({
      code: 'ACCOUNT_EMAIL_TAKEN',
      message: 'An account with this email exists. Sign in instead.',
      fieldErrors: {},
    });
    expect(engineErrorCode(err)).toBe('ACCOUNT_EMAIL_TAKEN');
  });

  it('turns refused input into one line per field, labelled as the form labels it', () => {
    const err = engineError('[{"raw zod json": true}]', {
      appCode: 'VALIDATION_FAILED',
      issues: [
        { path: ['email'], message: 'Enter a valid email address.' },
        { path: ['tenantName'], message: 'Too long.' },
        { path: ['tenantName'], message: 'A second issue on the same field is not repeated.' },
      ],
    });
    const problem = describeEngineError(err, { tenantName: 'Workspace name' });
    expect(problem.fieldErrors).toEqual({ email: 'Enter a valid email address.', tenantName: 'Too long.' });
    expect(problem.message).toBe('Email: Enter a valid email address. Workspace name: Too long.');
  });

  it('says the engine is unreachable when no engine answer came back, without transport details', () => {
    const err = TRPCClientError.from(new TypeError('fetch failed: ECONNREFUSED 127.0.0.1:4000'));
    const problem = describeEngineError(err);
    expect(problem.code).toBeNull();
    expect(problem.message).toMatch(/not reachable/);
    expect(problem.message).not.toMatch(/ECONNREFUSED/);
  });

  it('never shows the text of an error that did not come from the engine', () => {
    expect(describeEngineError(new Error('TypeError at foo.ts:12')).message).not.toMatch(/foo\.ts/);
  });
});
