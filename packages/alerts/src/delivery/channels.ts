import { AppError } from '@qt/shared';
import { z } from 'zod';
import type { Firing } from '../evaluate/types.ts';
import type { DeliveryConfig } from './delivery-config.ts';

const channelId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2_048);

/** Where a firing goes. In-app delivery is the engine's push gateway and is not a channel here. */
export const alertChannelSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webhook'),
    id: channelId,
    url: httpUrl,
    secret: z.string().min(16).max(256),
  }),
  z.strictObject({
    kind: z.literal('telegram'),
    id: channelId,
    botToken: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'a Telegram bot token (123456:ABC...)'),
    chatId: z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'a chat id or @channel name'),
  }),
  z.strictObject({ kind: z.literal('discord'), id: channelId, url: httpUrl }),
  z.strictObject({ kind: z.literal('slack'), id: channelId, url: httpUrl }),
  z.strictObject({ kind: z.literal('email'), id: channelId, to: z.email().max(254) }),
]);
export type AlertChannel = z.infer<typeof alertChannelSchema>;

export type DeliveryRequest =
  | { kind: 'http'; url: string; body: string; headers: Record<string, string>; signWith: string | null }
  | { kind: 'email'; to: string; subject: string; text: string };

/** The JSON a webhook receives: the firing minus internal fields. */
export function webhookPayload(f: Firing): Record<string, unknown> {
  return {
    id: f.id,
    alertId: f.alertId,
    alertName: f.alertName,
    venue: f.venue,
    symbol: f.symbol,
    source: f.source,
    at: new Date(f.at).toISOString(),
    price: f.price,
    interval: f.interval,
    values: f.values,
    event: f.event,
    message: f.message,
  };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack's three control characters in mrkdwn and text; everything else is literal. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function underBase(url: string, base: string, what: string): string {
  if (!url.startsWith(base)) {
    throw new AppError('VALIDATION_FAILED', `A ${what} webhook URL starts with ${base}.`, {
      reason: 'base',
      url,
    });
  }
  return url;
}

/**
 * The request for one firing on one channel. Messages go out as plain text wherever the service allows
 * (Telegram without parse_mode; Discord with mentions disabled, so "@everyone" in a message pings no one;
 * Slack with its control characters escaped), so nothing in an alert's message can become markup.
 * Discord and Slack URLs must live under the configured base (they are the user's webhook URLs, and the
 * base keeps those channels from being a second, unsigned generic webhook).
 */
export function buildRequest(f: Firing, channel: AlertChannel, config: DeliveryConfig): DeliveryRequest {
  switch (channel.kind) {
    case 'webhook':
      return {
        kind: 'http',
        url: channel.url,
        body: JSON.stringify(webhookPayload(f)),
        headers: {},
        signWith: channel.secret,
      };
    case 'telegram':
      return {
        kind: 'http',
        url: `${config.telegramBaseUrl.replace(/\/$/, '')}/bot${channel.botToken}/sendMessage`,
        body: JSON.stringify({
          chat_id: channel.chatId,
          text: clip(f.message, 4_096),
          disable_web_page_preview: true,
        }),
        headers: {},
        signWith: null,
      };
    case 'discord': {
      const fields = [
        ...(f.price !== null ? [{ name: 'Price', value: f.price, inline: true }] : []),
        ...(f.symbol !== null ? [{ name: 'Market', value: `${f.venue} ${f.symbol}`, inline: true }] : []),
      ];
      return {
        kind: 'http',
        url: underBase(channel.url, config.discordBaseUrl, 'Discord'),
        body: JSON.stringify({
          content: clip(f.message, 2_000),
          allowed_mentions: { parse: [] },
          embeds: [
            {
              title: clip(f.alertName, 256),
              description: clip(f.message, 4_096),
              timestamp: new Date(f.at).toISOString(),
              fields,
            },
          ],
        }),
        headers: {},
        signWith: null,
      };
    }
    case 'slack': {
      const text = escapeSlack(clip(f.message, 3_000));
      return {
        kind: 'http',
        url: underBase(channel.url, config.slackBaseUrl, 'Slack'),
        body: JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }),
        headers: {},
        signWith: null,
      };
    }
    case 'email':
      return {
        kind: 'email',
        to: channel.to,
        // biome-ignore lint/suspicious/noControlCharactersInRegex: a subject is one header line
        subject: clip(`Alert: ${f.alertName}`.replace(/[\u0000-\u001f\u007f]/g, ' '), 200),
        text: `${f.message}\n\nAlert: ${f.alertName}\nWhen: ${new Date(f.at).toISOString()}\nFiring: ${f.id}\n`,
      };
  }
}
