import { AppError } from '@qt/shared';
import { LedgerError } from '@qt/trading';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDbTimeout, isTransientDbError } from '../../src/trading/db-errors.ts';

const dbError = (code: string) => Object.assign(new pg.DatabaseError('refused', 1, 'error'), { code });
const netError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('which write failures hold an account (isTransientDbError)', () => {
  it('counts an unreachable, hung or busy database as transient', () => {
    for (const err of [
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout'),
      netError('ECONNRESET', 'read ECONNRESET'),
      netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      dbError('08006'),
      dbError('57P01'),
      dbError('53300'),
      dbError('57014'),
      dbError('55P03'),
      dbError('40001'),
      dbError('40P01'),
    ]) {
      expect(isTransientDbError(err), String(err.message)).toBe(true);
    }
  });

  it('never holds an account on a programming error, a typed error or a statement refused for its content', () => {
    for (const err of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new RangeError('Invalid array length'),
      new AppError('VALUE_OUT_OF_RANGE', 'too large'),
      new LedgerError('LEDGER_INSUFFICIENT_FUNDS', 'not enough'),
      dbError('23514'),
      dbError('23505'),
      dbError('22003'),
      'a string',
      undefined,
    ]) {
      expect(isTransientDbError(err), String(err)).toBe(false);
    }
  });

  it('recognises the pool and server timeouts', () => {
    expect(isDbTimeout(new Error('Query read timeout'))).toBe(true);
    expect(isDbTimeout(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDbTimeout(dbError('57014'))).toBe(true);
    expect(isDbTimeout(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDbTimeout(dbError('23505'))).toBe(false);
  });
});
