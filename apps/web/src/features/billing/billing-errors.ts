import { describeEngineError } from '@/engine/engine-error';
import type { StrategyProblem } from '../strategies/strategy-errors';

const fieldLabels: Record<string, string> = {
  tier: 'Plan',
  interval: 'Interval',
  title: 'Title',
  summary: 'Summary',
  description: 'Description',
  tags: 'Tags',
  instruments: 'Instruments',
  intervals: 'Intervals',
  tunableParams: 'Tunable parameters',
  defaultParams: 'Fixed parameters',
  'price.amountCents': 'Price',
  'price.trialDays': 'Trial days',
  strategyId: 'Strategy',
  accountId: 'Paper account',
  params: 'Parameters',
  rating: 'Rating',
  body: 'Review',
};

const titles: Record<string, string> = {
  BILLING_UNAVAILABLE: 'Billing is not available right now',
  BILLING_ALREADY_SUBSCRIBED: 'Already subscribed',
  BILLING_NO_CUSTOMER: 'No billing account yet',
  SELLER_NOT_ONBOARDED: 'Payouts are not set up',
  LISTING_NOT_AVAILABLE: 'This listing is not available',
  SUBSCRIPTION_REQUIRED: 'Subscription required',
  LISTING_PARAM_NOT_ALLOWED: 'Parameter not allowed',
  VALIDATION_FAILED: 'Check the form',
  NOT_FOUND: 'Not found',
};

/**
 * What a billing or marketplace screen shows for a failed call: a headline per known code and the
 * engine's own message (it names the plan, listing or parameter concerned).
 */
export function describeBillingProblem(err: unknown): StrategyProblem {
  const problem = describeEngineError(err, fieldLabels);
  const code = problem.code;
  let title: string;
  if (!code) title = 'The engine could not be reached';
  else if (titles[code]) title = titles[code];
  else if (code.startsWith('AUTH_FORBIDDEN'))
    title = 'Your role cannot do this (an admin of the workspace can)';
  else if (code.startsWith('AUTH_')) title = 'Not allowed';
  else title = 'The request was refused';
  return { ...problem, title };
}
