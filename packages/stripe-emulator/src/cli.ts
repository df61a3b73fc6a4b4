import { startStripeEmulator } from './stripe-emulator.ts';

// Standalone emulator for a dev loop: `npm run emulator -w @qt/stripe-emulator`. The environment is
// read here only, once.
const env = process.env;
const emulator = await startStripeEmulator({
  host: env.STRIPE_EMULATOR_HOST ?? '127.0.0.1',
  port: Number(env.STRIPE_EMULATOR_PORT ?? 12111),
  ...(env.STRIPE_EMULATOR_PUBLIC_URL ? { publicUrl: env.STRIPE_EMULATOR_PUBLIC_URL } : {}),
  ...(env.STRIPE_WEBHOOK_URL ? { webhookUrl: env.STRIPE_WEBHOOK_URL } : {}),
  ...(env.STRIPE_WEBHOOK_SECRET ? { webhookSecret: env.STRIPE_WEBHOOK_SECRET } : {}),
});
process.stdout.write(
  `Stripe emulator on ${emulator.url}\n` +
    `STRIPE_SECRET_KEY=sk_test_emulator\nSTRIPE_API_URL=${emulator.url}\nSTRIPE_WEBHOOK_SECRET=${emulator.webhookSecret}\n`,
);
const stop = () => void emulator.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
