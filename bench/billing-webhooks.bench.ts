/**
 * Stripe webhooks handled per second: signature check and database write through billing's real
 * endpoint shape, against the bare HTTP round trip of a handler that only verifies the signature.
 *
 *   npx tsx bench/billing-webhooks.bench.ts   (DATABASE_URL or embedded; BENCH_SECONDS, BENCH_ROUNDS)
 *
 * Set-up: a `qt_bench_billing_*` database (created, migrated, dropped at the end), the Stripe emulator in
 * process (no webhook URL: it stores its own events, the bench delivers), the official `stripe` SDK
 * against it, `createBilling` as the engine wires it (emulator mode, test clocks, Prisma's default pool of
 * 10) and a local HTTP server reading the raw body and calling `billing.handleWebhook` as the engine's
 * `POST /webhooks/stripe` does. SUBS tenants each buy PRO through Checkout (the hosted page's form), so
 * each has a Stripe customer, a subscription with our metadata and a billing_customers row.
 *
 * Cases (closed loop, concurrency 16 over keep-alive sockets; interleaved in rounds; every delivery a
 * real signed POST, signed by the client with the endpoint secret as Stripe signs, each with a fresh
 * event id unless it is a duplicate; every answer is checked, a wrong status or outcome fails the bench):
 * - `ignored type`: `customer.created` events (the emulator's own payload): signature + ledger insert;
 * - `subscription events`: `customer.subscription.updated` over the SUBS subscriptions in turn:
 *   signature + `subscriptions.retrieve` from the emulator + one transaction (ledger, identify, advisory
 *   lock, upsert, tier derivation);
 * - `duplicates`: ids already applied by the case above, delivered again: everything up to the ledger's
 *   conflict (the retrieve happens first: the latest state is read before the transaction);
 * - baseline `bare verify`: a server whose handler only runs `stripe.webhooks.constructEvent` on the same
 *   `customer.created` payloads and answers 200.
 * Everything (client, servers, emulator, billing) shares one Node process and event loop, as an engine
 * with the embedded emulator does: the emulator's answers to `retrieve` are part of the cost.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BillingHooks, createBilling, MAX_WEBHOOK_BYTES, type WebhookAnswer } from '@qt/billing';
import {
  createPrisma,
  migrate,
  type RunningPostgres,
  startEmbeddedPostgres,
  withClient,
  withDatabase,
} from '@qt/db';
import { liveClock } from '@qt/shared';
import { startStripeEmulator } from '@qt/stripe-emulator';
import Stripe from 'stripe';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  type Compared,
  closedLoop,
  interleaved,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';

const SECONDS = benchSeconds(24);
const ROUNDS = benchRounds(2);
const CONCURRENCY = 16;
const SUBS = 200;
const SECRET = 'whsec_bench_billing';
/** Applied subscription event ids kept for the duplicates case (oldest dropped beyond this). */
const MAX_APPLIED_IDS = 50_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

type Handler = (raw: Buffer, signature: string | undefined) => Promise<WebhookAnswer>;

/** The engine's endpoint shape: raw body (bounded), the Stripe-Signature header, the handler's answer. */
async function listen(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_WEBHOOK_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const sig = req.headers['stripe-signature'];
      const answer: Promise<WebhookAnswer> =
        size > MAX_WEBHOOK_BYTES
          ? Promise.resolve({ status: 413, body: { error: 'payload too large' } })
          : handler(Buffer.concat(chunks), Array.isArray(sig) ? sig[0] : sig);
      void answer.then(
        (a) => res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body)),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe` };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One delivery as Stripe makes it: POST, JSON body, Stripe-Signature; answers status and parsed body. */
function deliver(url: string, payload: string, signature: string): Promise<WebhookAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
          'stripe-signature': signature,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('DATABASE_URL unset: an embedded PostgreSQL in a temp folder');
    dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-billing-'));
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 54_900 + Math.floor(Math.random() * 90) });
    serverUrl = embedded.url;
  }
  const dbName = `qt_bench_billing_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = withDatabase(serverUrl, dbName);
  const db = createPrisma(url);
  const emulator = await startStripeEmulator({ webhooks: {} });
  const servers: Server[] = [];
  try {
    await migrate(url);
    const stripe = new Stripe('sk_test_emulator', { ...emulator.sdkOptions, maxNetworkRetries: 0 });
    let tierCalls = 0;
    const hooks: BillingHooks = {
      // The engine's hook writes the tier to the tenant row; here too (the first event of each sub).
      async applyTier(tenantId, tier) {
        tierCalls++;
        await db.tenant.update({ where: { id: tenantId }, data: { tier } });
      },
      async listingAccessChanged() {},
    };
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (_o: object, msg: string) => void (warnings.length < 100 && warnings.push(msg)),
      error: (o: object, msg: string) =>
        void (warnings.length < 100 && warnings.push(`${msg} ${JSON.stringify(o)}`)),
    };
    const billing = createBilling({
      db,
      stripe,
      mode: 'emulator',
      webhookSecret: SECRET,
      clock: liveClock,
      logger,
      hooks,
      webPublicUrl: 'http://dashboard.bench',
      testClocks: true,
    });
    await billing.ensureCatalog();

    // SUBS tenants buy PRO through Checkout, 8 at a time.
    const setupAt = performance.now();
    const tenants = await Promise.all(
      Array.from({ length: SUBS }, (_, i) => db.tenant.create({ data: { name: `bench ${i}` } })),
    );
    for (let i = 0; i < tenants.length; i += 8) {
      await Promise.all(
        tenants.slice(i, i + 8).map(async (t) => {
          const scope = {
            tenantId: t.id,
            actor: 'user:bench',
            tier: 'FREE' as const,
            tenantName: t.name,
            userId: null,
          };
          const { url: pay } = await billing.startPlanCheckout(scope, { tier: 'PRO', interval: 'month' });
          const form = new URLSearchParams({
            cardNumber: '4242424242424242',
            cardExpiry: '12 / 34',
            cardCvc: '123',
          });
          const res = await fetch(pay, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
            redirect: 'manual',
          });
          if (res.status !== 303) throw new Error(`checkout answered ${res.status}`);
        }),
      );
    }
    const events = emulator.events();
    const subEvents = events.filter((e) => e.type === 'customer.subscription.created');
    const customerEvent = events.find((e) => e.type === 'customer.created');
    if (subEvents.length !== SUBS || !customerEvent)
      throw new Error(`expected ${SUBS} subscriptions, the emulator made ${subEvents.length}`);
    log(
      `set-up: ${SUBS} PRO subscriptions through Checkout in ${((performance.now() - setupAt) / 1000).toFixed(1)} s ` +
        `(${events.length} emulator events, not delivered)`,
    );

    // Payload templates: the emulator's own events, the id swapped per delivery.
    const template = (e: object, type: string) => {
      const text = JSON.stringify({ ...e, id: '@@ID@@', type });
      return (id: string) => text.replace('@@ID@@', id);
    };
    const ignoredPayload = template(customerEvent, 'customer.created');
    const subPayloads = subEvents.map((e) => template(e, 'customer.subscription.updated'));
    const sign = (payload: string) => stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    const run = randomBytes(3).toString('hex');
    let seq = 0;
    const freshId = () => `evt_bench_${run}_${++seq}`;
    const applied: string[] = [];
    let appliedAt = 0;
    const outcomes = new Map<string, number>();

    const ours = await listen((raw, sig) => billing.handleWebhook(raw, sig));
    const bare = await listen(async (raw, sig) => {
      if (!sig) return { status: 400, body: { error: 'missing Stripe-Signature header' } };
      try {
        stripe.webhooks.constructEvent(raw, sig, SECRET, 300);
      } catch {
        return { status: 400, body: { error: 'invalid signature' } };
      }
      return { status: 200, body: { received: true } };
    });
    servers.push(ours.server, bare.server);

    const expect = async (to: string, payload: string, outcome: string | null, what: string) => {
      const a = await deliver(to, payload, sign(payload));
      const got = String(a.body.outcome ?? '');
      if (a.status !== 200 || (outcome !== null && got !== outcome))
        throw new Error(
          `${what}: answered ${a.status} ${JSON.stringify(a.body)} (expected 200 ${outcome ?? ''})`,
        );
      if (outcome) outcomes.set(`${what}:${got}`, (outcomes.get(`${what}:${got}`) ?? 0) + 1);
    };
    const load =
      (op: () => Promise<void>): Case['run'] =>
      (seconds, warmupSeconds) =>
        closedLoop(op, { seconds, warmupSeconds, concurrency: CONCURRENCY });
    let subTurn = 0;
    let dupTurn = 0;
    const cases: Case[] = [
      {
        name: 'billing-webhooks: ignored type (signature + ledger insert)',
        run: load(() => expect(ours.url, ignoredPayload(freshId()), 'ignored', 'ignored')),
      },
      {
        name: 'billing-webhooks: subscription events (signature + retrieve + transaction)',
        run: load(async () => {
          const id = freshId();
          await expect(
            ours.url,
            (subPayloads[subTurn++ % SUBS] as (id: string) => string)(id),
            'applied',
            'sub',
          );
          // A ring of the applied ids, for the duplicates case.
          if (applied.length < MAX_APPLIED_IDS) applied.push(id);
          else applied[appliedAt++ % MAX_APPLIED_IDS] = id;
        }),
      },
      {
        name: 'billing-webhooks: duplicates of applied events',
        run: load(async () => {
          const i = dupTurn++ % applied.length;
          const id = applied[i] as string;
          // Its own subscription's payload (the id says which: subTurn order is not kept, any sub works).
          await expect(ours.url, (subPayloads[i % SUBS] as (id: string) => string)(id), 'duplicate', 'dup');
        }),
      },
      {
        name: 'billing-webhooks: bare verify (constructEvent + 200)',
        run: load(() => expect(bare.url, ignoredPayload(freshId()), null, 'bare')),
      },
    ];
    log(
      `billing webhooks: ${SECONDS} s over ${cases.length} cases in ${ROUNDS} interleaved rounds, concurrency ${CONCURRENCY}`,
    );
    const compared = await interleaved(
      cases,
      {
        seconds: SECONDS / cases.length,
        rounds: ROUNDS,
        warmupSeconds: warmupFor(SECONDS / cases.length, ROUNDS),
      },
      log,
    );
    const [ignored, subs, dups, base] = compared as [Compared, Compared, Compared, Compared];
    const ledger = await db.stripeEvent.count();
    const rows = await db.billingSubscription.count();
    const pro = await db.tenant.count({ where: { tier: 'PRO' } });
    // Each subscription's first event wrote its row and made its tenant PRO; later ones changed no tier.
    if (rows > SUBS || pro !== rows || tierCalls !== rows)
      throw new Error(
        `${rows} subscription rows, ${pro} PRO tenants, ${tierCalls} tier changes: should be equal`,
      );
    const results: BenchResult[] = [
      against(ignored, base, 'events/s', `customer.created; ${ledger} ledger rows at the end`),
      against(
        subs,
        base,
        'events/s',
        `customer.subscription.updated over ${SUBS} subscriptions; ${tierCalls} tier changes (first event of each)`,
      ),
      against(dups, base, 'events/s', 'answered duplicate after the retrieve, at the ledger conflict'),
      against(base, base, 'events/s', 'same client, same customer.created payloads, signature check only'),
    ];
    log(table(results));
    log(`outcomes: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}; warnings: ${warnings.length}`);
    for (const w of warnings.slice(0, 5)) log(`  warn: ${w}`);
    for (const r of results) report(r);
    await billing.close();
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    agent.destroy();
    await emulator.stop();
    await db.$disconnect();
    await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
