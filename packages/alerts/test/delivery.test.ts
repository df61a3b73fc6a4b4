import { afterEach, describe, expect, it } from 'vitest';
import {
  type AlertChannel,
  type DeliveryAttempt,
  type DeliveryOutcome,
  DeliveryQueue,
  type Firing,
  parseDeliveryConfig,
  verifySignature,
} from '../src/index.ts';
import { startReceiver, waitFor } from './support/receiver.ts';

const firing: Firing = {
  id: 'a1:t:42',
  alertId: 'a1',
  tenantId: 't1',
  alertName: 'BTC <breakout> & co',
  venue: 'binance',
  symbol: 'BTC-USDT',
  source: 'trade',
  at: Date.UTC(2026, 11, 7, 12, 0, 0),
  price: '100250.5',
  interval: null,
  values: {},
  event: null,
  pauseDeployment: false,
  message: '@everyone BTC-USDT crossed 100250.5 <b>now</b> & then',
  final: true,
};
const SECRET = 'whsec_0123456789abcdef';

const receivers: { close(): Promise<void> }[] = [];
const queues: DeliveryQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) q.close();
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

function queue(port: number, extra: Parameters<typeof parseDeliveryConfig>[0] = {}) {
  const attempts: DeliveryAttempt[] = [];
  const outcomes: DeliveryOutcome[] = [];
  const q = new DeliveryQueue({
    config: parseDeliveryConfig({ allowedPorts: [port], backoffBaseMs: 20, backoffMaxMs: 100, ...extra }),
    onAttempt: (a) => attempts.push(a),
    onOutcome: (o) => outcomes.push(o),
  });
  queues.push(q);
  return { q, attempts, outcomes };
}

const webhook = (url: string): AlertChannel => ({ kind: 'webhook', id: 'ch1', url, secret: SECRET });

describe('webhook delivery', () => {
  it('refuses a loopback receiver by default and sends nothing to it', async () => {
    const r = await receiver();
    const { q, outcomes } = queue(r.port);
    expect(q.enqueue({ firing, channel: webhook(`${r.url}/hook`) })).toBe('queued');
    await q.idle();
    expect(outcomes).toEqual([expect.objectContaining({ result: 'dead', reason: 'refused', attempts: 1 })]);
    expect(r.received).toHaveLength(0);
  });

  it('delivers to an allow-listed loopback receiver, signed, with an idempotency key, once', async () => {
    const r = await receiver();
    const { q, outcomes } = queue(r.port, { allow: ['127.0.0.1/32'] });
    expect(q.enqueue({ firing, channel: webhook(`${r.url}/hook`) })).toBe('queued');
    await q.idle();
    expect(outcomes).toEqual([expect.objectContaining({ result: 'delivered', attempts: 1 })]);
    const [got] = r.received;
    expect(got?.headers['idempotency-key']).toBe('a1:t:42:ch1');
    expect(got?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(got?.body ?? '');
    expect(body).toMatchObject({
      id: 'a1:t:42',
      price: '100250.5',
      symbol: 'BTC-USDT',
      at: '2026-12-07T12:00:00.000Z',
    });
    const header = String(got?.headers['qt-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(SECRET, got?.body ?? '', header, now)).toBe(true);
    expect(verifySignature('another-secret-0000', got?.body ?? '', header, now)).toBe(false);
    expect(verifySignature(SECRET, `${got?.body} `, header, now)).toBe(false);
    expect(q.enqueue({ firing, channel: webhook(`${r.url}/hook`) })).toBe('duplicate');
  });

  it('retries 5xx and 429 with backoff and delivers when the receiver recovers', async () => {
    const r = await receiver((_req, res, n) => {
      if (n === 1) res.writeHead(503).end();
      else if (n === 2) res.writeHead(429).end();
      return undefined;
    });
    const { q, attempts, outcomes } = queue(r.port, { allow: ['127.0.0.1/32'] });
    q.enqueue({ firing, channel: webhook(`${r.url}/hook`) });
    await q.idle();
    expect(attempts.map((a) => a.status)).toEqual([503, 429, 200]);
    expect(outcomes).toEqual([expect.objectContaining({ result: 'delivered', attempts: 3 })]);
    // The same key on every attempt, so the receiver can drop a repeat it already processed.
    expect(new Set(r.received.map((x) => x.headers['idempotency-key']))).toEqual(new Set(['a1:t:42:ch1']));
  });

  it('dead-letters after maxAttempts failures, and at once on a 4xx', async () => {
    const down = await receiver((_req, res) => {
      res.writeHead(500).end();
      return undefined;
    });
    const gone = await receiver((_req, res) => {
      res.writeHead(410).end();
      return undefined;
    });
    const { q, outcomes } = queue(down.port, {
      allow: ['127.0.0.1/32'],
      maxAttempts: 3,
      allowedPorts: [down.port, gone.port],
    });
    q.enqueue({ firing, channel: webhook(`${down.url}/hook`) });
    q.enqueue({ firing, channel: { ...webhook(`${gone.url}/hook`), id: 'ch2' } });
    await q.idle();
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channelId: 'ch1', result: 'dead', reason: 'exhausted', attempts: 3 }),
        expect.objectContaining({ channelId: 'ch2', result: 'dead', reason: 'rejected', attempts: 1 }),
      ]),
    );
    expect(down.received).toHaveLength(3);
  });

  it('gives up an attempt at the timeout', async () => {
    const r = await receiver(() => false);
    const { q, attempts } = queue(r.port, { allow: ['127.0.0.1/32'], maxAttempts: 1, timeoutMs: 300 });
    const started = performance.now();
    q.enqueue({ firing, channel: webhook(`${r.url}/hook`) });
    await q.idle();
    expect(attempts[0]?.error).toMatch(/no answer within 300 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('does not follow a redirect, not even to an allowed receiver', async () => {
    const target = await receiver();
    const r = await receiver((_req, res) => {
      res.writeHead(307, { location: `${target.url}/elsewhere` }).end();
      return undefined;
    });
    const { q, outcomes } = queue(r.port, { allow: ['127.0.0.1/32'], allowedPorts: [r.port, target.port] });
    q.enqueue({ firing, channel: webhook(`${r.url}/hook`) });
    await q.idle();
    expect(outcomes).toEqual([expect.objectContaining({ result: 'dead', reason: 'redirect' })]);
    expect(target.received).toHaveLength(0);
  });

  it('holds at most queueCapacity jobs and answers full beyond', async () => {
    const r = await receiver(() => false);
    const { q } = queue(r.port, { allow: ['127.0.0.1/32'], queueCapacity: 2, concurrency: 1 });
    const job = (id: string) => ({ firing: { ...firing, id }, channel: webhook(`${r.url}/hook`) });
    expect(q.enqueue(job('f1'))).toBe('queued');
    expect(q.enqueue(job('f2'))).toBe('queued');
    expect(q.enqueue(job('f3'))).toBe('full');
    await waitFor(() => r.received.length === 1);
    r.release();
    await waitFor(() => r.received.length === 2);
    r.release();
    await q.idle();
    expect(q.enqueue(job('f3'))).toBe('queued');
  });

  it('gives a job only the attempts left after those already made (stored before a restart)', async () => {
    const down = await receiver((_req, res) => {
      res.writeHead(503).end();
      return undefined;
    });
    const { q, outcomes } = queue(down.port, { allow: ['127.0.0.1/32'], maxAttempts: 4 });
    expect(q.enqueue({ firing, channel: webhook(`${down.url}/hook`) }, 3)).toBe('queued');
    await q.idle();
    // 3 made before + 1 now = maxAttempts: one request, not four.
    expect(down.received).toHaveLength(1);
    expect(outcomes).toEqual([expect.objectContaining({ result: 'dead', reason: 'exhausted', attempts: 4 })]);
  });

  it('refuses a key while it is held or after it finished, dead or delivered, and reports how it ended', async () => {
    const gone = await receiver((_req, res) => {
      res.writeHead(410).end();
      return undefined;
    });
    const { q } = queue(gone.port, { allow: ['127.0.0.1/32'] });
    const job = { firing, channel: webhook(`${gone.url}/hook`) };
    const key = DeliveryQueue.keyOf(job);
    expect(q.enqueue(job)).toBe('queued');
    expect(q.has(key)).toBe(true);
    expect(q.heldJobs()).toEqual([{ firingId: firing.id, channelId: 'ch1' }]);
    await q.idle();
    expect(q.heldJobs()).toEqual([]);
    // A sweep reading the row still pending (its outcome not written yet) must not send it again.
    expect(q.enqueue(job)).toBe('duplicate');
    expect(q.finishedOutcome(key)).toEqual(expect.objectContaining({ result: 'dead', reason: 'rejected' }));
    expect(gone.received).toHaveLength(1);
  });
});

describe('chat formats', () => {
  it('posts Telegram, Discord and Slack messages to their configured bases, as plain text', async () => {
    const r = await receiver();
    const { q, outcomes } = queue(r.port, {
      allow: ['127.0.0.1/32'],
      telegramBaseUrl: `${r.url}/tg`,
      discordBaseUrl: `${r.url}/discord/`,
      slackBaseUrl: `${r.url}/slack/`,
    });
    q.enqueue({
      firing,
      channel: { kind: 'telegram', id: 'tg', botToken: '123456:ABCdefGHIjklMNOpqrSTUvwx', chatId: '-100200' },
    });
    q.enqueue({ firing, channel: { kind: 'discord', id: 'dc', url: `${r.url}/discord/1/tok` } });
    q.enqueue({ firing, channel: { kind: 'slack', id: 'sl', url: `${r.url}/slack/T/B/x` } });
    q.enqueue({ firing, channel: { kind: 'slack', id: 'sl2', url: `${r.url}/not-slack/T/B/x` } });
    await q.idle();
    const byPath = new Map(r.received.map((x) => [x.url, JSON.parse(x.body)]));
    expect(byPath.get('/tg/bot123456:ABCdefGHIjklMNOpqrSTUvwx/sendMessage')).toEqual({
      chat_id: '-100200',
      text: firing.message,
      disable_web_page_preview: true,
    });
    expect(byPath.get('/discord/1/tok')).toMatchObject({
      content: firing.message,
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: firing.alertName,
          fields: [{ name: 'Price', value: '100250.5', inline: true }, expect.anything()],
        },
      ],
    });
    expect(byPath.get('/slack/T/B/x')?.text).toBe(
      '@everyone BTC-USDT crossed 100250.5 &lt;b&gt;now&lt;/b&gt; &amp; then',
    );
    expect(r.received).toHaveLength(3);
    expect(outcomes.find((o) => o.channelId === 'sl2')).toMatchObject({ result: 'dead', reason: 'refused' });
  });
});
