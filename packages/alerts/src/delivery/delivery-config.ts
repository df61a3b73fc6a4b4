import { z } from 'zod';
import { parseCidr, type TargetPolicy } from './ssrf-guard.ts';

/**
 * Delivery settings, parsed once by the engine (suggested environment names in the package README).
 * Defaults follow TradingView's webhooks (3 s timeout, ports 80 and 443).
 */
export const deliveryConfigSchema = z.strictObject({
  timeoutMs: z.number().int().min(100).max(30_000).default(3_000),
  /** Attempts per (firing, channel) before it is dead-lettered. */
  maxAttempts: z.number().int().min(1).max(20).default(6),
  /** Backoff before attempt n+1: min(backoffMaxMs, backoffBaseMs x 2^(n-1)). */
  backoffBaseMs: z.number().int().min(1).max(600_000).default(1_000),
  backoffMaxMs: z.number().int().min(1).max(3_600_000).default(60_000),
  /** Deliveries queued, waiting for a retry or in flight, all channels: beyond it `enqueue` says "full". */
  queueCapacity: z.number().int().min(1).max(1_000_000).default(10_000),
  concurrency: z.number().int().min(1).max(256).default(8),
  allowedPorts: z.array(z.number().int().min(1).max(65_535)).min(1).default([80, 443]),
  /** Operator allow-list of addresses/CIDRs reachable despite the SSRF guard ("127.0.0.1/32"). */
  allow: z.array(z.string()).default([]),
  telegramBaseUrl: z.url().default('https://api.telegram.org'),
  discordBaseUrl: z.url().default('https://discord.com/api/webhooks/'),
  slackBaseUrl: z.url().default('https://hooks.slack.com/services/'),
});
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;

export function parseDeliveryConfig(input: z.input<typeof deliveryConfigSchema> = {}): DeliveryConfig {
  return deliveryConfigSchema.parse(input);
}

export function targetPolicyOf(config: DeliveryConfig): TargetPolicy {
  return { allowedPorts: config.allowedPorts, allow: config.allow.map(parseCidr) };
}
