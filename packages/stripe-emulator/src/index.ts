export { emulatedApiVersion, startStripeEmulator } from './stripe-emulator.ts';
export type {
  BillingOptions,
  EmulatorLimits,
  StripeEmulator,
  StripeEmulatorOptions,
  WebhookOptions,
  WebhookStats,
} from './types.ts';
export { signPayload } from './webhooks.ts';
export type { StripeEvent, Wire } from './wire.ts';
