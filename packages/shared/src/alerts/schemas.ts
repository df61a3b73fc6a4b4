import { z } from 'zod';
import { canonicalSymbol, venueId } from '../market/index.ts';

/**
 * The alerts API's shapes. The rule itself (condition, trigger, message placeholders) and each channel are
 * validated by @qt/alerts in the engine (`parseAlertRule`, `alertChannelSchema`): @qt/shared cannot import
 * it (it depends on this package), so here they are bounded objects and the engine answers
 * VALIDATION_FAILED with the first problem in words.
 */

/** Channels per alert: each firing is one delivery per channel. */
export const MAX_ALERT_CHANNELS = 8;
export const ALERT_HISTORY_MAX_LIMIT = 200;
export const MARK_READ_MAX_IDS = 200;

const channelInput = z.looseObject({
  kind: z.enum(['webhook', 'telegram', 'discord', 'slack', 'email']),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
});

const ruleFields = {
  name: z.string().trim().min(1).max(100),
  venue: venueId.optional(),
  symbol: canonicalSymbol.optional(),
  condition: z.looseObject({ kind: z.string().max(32) }),
  trigger: z.looseObject({ mode: z.string().max(32) }),
  /** Epoch ms; no firing at or after it. */
  expiresAt: z.number().int().nonnegative().max(8_640_000_000_000_000).nullable().optional(),
  message: z.string().max(1_000).optional(),
  channels: z.array(channelInput).max(MAX_ALERT_CHANNELS).default([]),
};

export const createAlertInput = z.strictObject(ruleFields);
export type CreateAlertInput = z.infer<typeof createAlertInput>;

/** Replaces the rule and channels given (the rest is kept); the alert's evaluation state starts afresh. */
export const updateAlertInput = z.strictObject({
  alertId: z.uuid(),
  name: ruleFields.name.optional(),
  venue: ruleFields.venue,
  symbol: ruleFields.symbol,
  condition: ruleFields.condition.optional(),
  trigger: ruleFields.trigger.optional(),
  expiresAt: ruleFields.expiresAt,
  message: ruleFields.message,
  channels: z.array(channelInput).max(MAX_ALERT_CHANNELS).optional(),
});
export type UpdateAlertInput = z.infer<typeof updateAlertInput>;

export const alertIdInput = z.strictObject({ alertId: z.uuid() });

export const alertStateSchema = z.enum(['active', 'paused', 'expired', 'fired_out']);
export type AlertStateView = z.infer<typeof alertStateSchema>;

export const listAlertsInput = z.strictObject({ state: alertStateSchema.optional() }).default({});

/**
 * A channel as the API shows it (to read-only credentials too): secrets are never returned. The webhook
 * secret and the Telegram bot token are left out; a Discord or Slack URL carries its posting token in the
 * path, so it is shown redacted: the service's base URL, "…" and the last 4 characters.
 */
export const alertChannelViewSchema = z.object({
  kind: z.string(),
  id: z.string(),
  /** Webhook URL, redacted Discord/Slack URL, email address, Telegram chat; null when there is none. */
  target: z.string().nullable(),
});

export const alertSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  venue: z.string().nullable(),
  symbol: z.string().nullable(),
  condition: z.record(z.string(), z.unknown()),
  trigger: z.record(z.string(), z.unknown()),
  expiresAt: z.number().nullable(),
  message: z.string(),
  channels: z.array(alertChannelViewSchema),
  state: alertStateSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  /**
   * Bar history of an active alert reading indicators or past volumes, on the engine that answered:
   * `warming` while its indicators are seeded from stored candles, `cold` when storage had too few
   * (`barsNeeded` more closed bars, the last expected to close at `readyAt`), `ready` when it can fire.
   * Absent for alerts that read no bar history.
   */
  warmup: z
    .object({
      status: z.enum(['warming', 'ready', 'cold']),
      barsNeeded: z.number().int().nonnegative(),
      readyAt: z.number().nullable(),
    })
    .optional(),
});
export type AlertView = z.infer<typeof alertSchema>;

export const alertDeliveryViewSchema = z.object({
  channelId: z.string(),
  status: z.enum(['pending', 'sent', 'dead']),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  reason: z.string().nullable(),
});

export const alertFiringSchema = z.object({
  id: z.string(),
  alertId: z.uuid(),
  alertName: z.string(),
  venue: z.string().nullable(),
  symbol: z.string().nullable(),
  source: z.enum(['trade', 'close', 'event']),
  /** The event's time (trade, bar close, data-quality event), epoch ms. */
  at: z.number(),
  price: z.string().nullable(),
  interval: z.string().nullable(),
  values: z.record(z.string(), z.string()),
  event: z.string().nullable(),
  message: z.string(),
  readAt: z.number().nullable(),
  /** Present in history; not on the live stream (deliveries start after the push). */
  deliveries: z.array(alertDeliveryViewSchema).optional(),
});
export type AlertFiringView = z.infer<typeof alertFiringSchema>;

/** Cursor: "<fired-at ms>:<firing id>" as `next` returned it. */
export const alertHistoryInput = z
  .strictObject({
    alertId: z.uuid().optional(),
    unreadOnly: z.boolean().default(false),
    limit: z.number().int().min(1).max(ALERT_HISTORY_MAX_LIMIT).default(50),
    before: z.string().max(200).optional(),
  })
  .default({ unreadOnly: false, limit: 50 });
export type AlertHistoryInput = z.infer<typeof alertHistoryInput>;

export const alertHistorySchema = z.object({
  items: z.array(alertFiringSchema),
  next: z.string().nullable(),
});

/** Either the given firings or every unread one of the tenant. */
export const markReadInput = z.union([
  z.strictObject({ firingIds: z.array(z.string().min(1).max(200)).min(1).max(MARK_READ_MAX_IDS) }),
  z.strictObject({ all: z.literal(true) }),
]);
export type MarkReadInput = z.infer<typeof markReadInput>;
