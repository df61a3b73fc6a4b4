import type { Db } from '@qt/db';
import type { Clock } from '@qt/shared';
import type Stripe from 'stripe';
import type { BillingHooks } from './billing-hooks.ts';

export interface BillingLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What every part of the billing service shares (built once by createBilling). */
export interface BillingContext {
  db: Db;
  stripe: Stripe;
  mode: 'emulator' | 'test' | 'live';
  clock: Clock;
  logger: BillingLogger;
  hooks: BillingHooks;
  webPublicUrl: string;
  testClocks: boolean;
  feePercent: number;
}
