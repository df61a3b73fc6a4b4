import { Worker } from 'node:worker_threads';
import { AppError } from '@qt/shared';
import { workerEntry } from '@qt/strategy-runtime';
import type { CompileDiagnostic } from '@qt/strategy-sdk';
import type { Logger } from '../../observability/logger.ts';
import type { CompileReady, CompileReply, CompileRequest } from './compile-protocol.ts';

const WORKER_SOURCE = new URL('./compile-worker.ts', import.meta.url);
const TSX_BOOT = new URL('./compile-worker-boot.mjs', import.meta.url);
/**
 * Loaded by the bundled worker as they are (by file URL): ~20 MB of compiler JavaScript that a bundle
 * would only copy, and that must not go through tsx's loader (measured: 8-17 s and ~610 MB resident with
 * it, 1.4 s and ~150 MB without).
 */
const COMPILER_PACKAGES = ['assemblyscript', 'binaryen'];

export type CompileOutcome =
  | { ok: true; wasm: Uint8Array; compileMs: number }
  | { ok: false; message: string; diagnostics: CompileDiagnostic[]; compileMs: number };

export interface StrategyCompilerOptions {
  logger: Logger;
  /** A compile that takes longer is abandoned (the worker is terminated and started again). */
  timeoutMs?: number;
  /** Loading the compiler into a new worker (not charged to a compile); a boot past it fails the compile. */
  bootTimeoutMs?: number;
  /** Compiles waiting beyond the one running; more are refused with STRATEGY_COMPILER_BUSY. */
  maxQueued?: number;
  /** A worker with nothing to do for this long is ended (it holds ~150 MB); the next compile starts one. */
  idleMs?: number;
  /** After one of its compiles ran past the time limit, a tenant waits this long before the next one. */
  cooldownMs?: number;
}

interface Job {
  id: number;
  tenantId: string;
  source: string;
  maximumMemoryPages: number;
  /** Ended (a reply, a timeout, worker loss and stop can race: the first one wins). */
  settled: boolean;
  resolve(outcome: CompileOutcome): void;
  reject(err: unknown): void;
}

/** One compiler worker: created at once, usable once it said it loaded. */
interface Handle {
  worker: Worker | null;
  ready: Promise<void>;
  gone: boolean;
}

/**
 * Compiles editor sources in one worker thread, one at a time: the machine has few cores and a compile
 * takes one for seconds, so running several at once would only slow each down and starve the engine.
 * The queue is bounded and each tenant has at most one compile queued or running (a second is refused,
 * not queued behind its first), so one tenant cannot fill it; a tenant whose compile ran past the time
 * limit waits `cooldownMs` before the next. A compile past `timeoutMs` terminates the worker; the next
 * compile starts a new one. An idle worker is ended after `idleMs`.
 */
export class StrategyCompiler {
  readonly #o: Required<StrategyCompilerOptions>;
  readonly #queue: Job[] = [];
  readonly #tenants = new Set<string>();
  /** Tenants in their cooldown, until when (ms): bounded by the tenants that timed out recently. */
  readonly #cooldown = new Map<string, number>();
  #handle: Handle | null = null;
  #running: Job | null = null;
  /** The running compile's time limit, or its wait for the worker to load. */
  #timer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #nextId = 1;
  #stopped = false;

  constructor(o: StrategyCompilerOptions) {
    this.#o = {
      timeoutMs: 60_000,
      bootTimeoutMs: 120_000,
      maxQueued: 8,
      idleMs: 10 * 60_000,
      cooldownMs: 60_000,
      ...o,
    };
  }

  compile(tenantId: string, source: string, maximumMemoryPages: number): Promise<CompileOutcome> {
    if (this.#stopped) return Promise.reject(new AppError('SERVICE_UNAVAILABLE', 'The engine is stopping.'));
    const now = Date.now();
    for (const [t, until] of this.#cooldown) if (until <= now) this.#cooldown.delete(t);
    const until = this.#cooldown.get(tenantId);
    if (until !== undefined)
      return Promise.reject(
        new AppError(
          'STRATEGY_COMPILER_BUSY',
          'Your last compile ran past the time limit: wait a minute before compiling again.',
          { retryAfterSeconds: Math.ceil((until - now) / 1000) },
        ),
      );
    if (this.#tenants.has(tenantId))
      return Promise.reject(
        new AppError('STRATEGY_COMPILER_BUSY', 'A compile of yours is still running: wait for its result.', {
          retryAfterSeconds: 2,
        }),
      );
    if (this.#queue.length >= this.#o.maxQueued)
      return Promise.reject(
        new AppError('STRATEGY_COMPILER_BUSY', 'The compiler is busy: try again in a few seconds.', {
          retryAfterSeconds: 5,
        }),
      );
    this.#tenants.add(tenantId);
    return new Promise<CompileOutcome>((resolve, reject) => {
      this.#queue.push({
        id: this.#nextId++,
        tenantId,
        source,
        maximumMemoryPages,
        settled: false,
        resolve,
        reject,
      });
      this.#pump();
    });
  }

  /** Compiles waiting plus the one running: for metrics and tests. */
  get pending(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  /** Whether a worker exists (loaded or loading): for tests of the idle shutdown. */
  get hasWorker(): boolean {
    return this.#handle !== null;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const stopping = new AppError('SERVICE_UNAVAILABLE', 'The engine is stopping.');
    for (const job of this.#queue.splice(0)) this.#settle(job, (j) => j.reject(stopping));
    if (this.#running) this.#settle(this.#running, (j) => j.reject(stopping));
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const handle = this.#handle;
    this.#handle = null;
    if (handle) {
      handle.gone = true;
      await handle.worker?.terminate();
    }
  }

  #pump(): void {
    if (this.#running || this.#stopped) return;
    const job = this.#queue.shift();
    if (!job) {
      this.#armIdle();
      return;
    }
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#running = job;
    const handle = this.#ensureWorker();
    this.#timer = setTimeout(() => {
      this.#o.logger.warn('the strategy compiler did not load in time; worker restarted');
      this.#drop(handle);
      this.#settle(job, (j) =>
        j.reject(
          new AppError('STRATEGY_COMPILER_BUSY', 'The compiler is starting: try again.', {
            retryAfterSeconds: 10,
          }),
        ),
      );
    }, this.#o.bootTimeoutMs);
    void handle.ready.then(() => {
      // The job may have ended meanwhile (stop, worker lost, boot timeout).
      if (this.#running !== job || this.#handle !== handle || !handle.worker) return;
      if (this.#timer) clearTimeout(this.#timer);
      this.#startTimer(job, handle);
      const req: CompileRequest = {
        id: job.id,
        source: job.source,
        maximumMemoryPages: job.maximumMemoryPages,
      };
      handle.worker.postMessage(req);
    });
  }

  /** The compile's own time limit, from the moment the loaded worker gets it. */
  #startTimer(job: Job, handle: Handle): void {
    this.#timer = setTimeout(() => {
      this.#o.logger.warn(
        { tenant: job.tenantId },
        'a strategy compile ran past its time limit; worker restarted',
      );
      this.#drop(handle);
      this.#cooldown.set(job.tenantId, Date.now() + this.#o.cooldownMs);
      this.#settle(job, (j) =>
        j.reject(
          new AppError(
            'STRATEGY_COMPILE_FAILED',
            `The compile took longer than ${Math.round(this.#o.timeoutMs / 1000)} s and was stopped.`,
          ),
        ),
      );
    }, this.#o.timeoutMs);
  }

  #ensureWorker(): Handle {
    if (this.#handle) return this.#handle;
    let loaded: () => void = () => {};
    const handle: Handle = {
      worker: null,
      gone: false,
      ready: new Promise<void>((resolve) => {
        loaded = resolve;
      }),
    };
    this.#handle = handle;
    const lost = (why: string) => {
      if (handle.gone) return;
      handle.gone = true;
      if (this.#handle === handle) this.#handle = null;
      const job = this.#running;
      if (job) this.#settle(job, (j) => j.reject(new AppError('INTERNAL', `The compiler stopped: ${why}`)));
    };
    // The bundled worker (no tsx loader in it); the tsx boot when bundling is not possible.
    void workerEntry(WORKER_SOURCE, {
      fallback: TSX_BOOT,
      externalPackages: COMPILER_PACKAGES,
      onFallback: (reason) => this.#o.logger.warn({ reason }, 'the strategy compiler boots through tsx'),
    }).then(
      (entry) => {
        if (handle.gone) return;
        const worker = new Worker(entry, {
          env: {},
          // The compiler's own heap, not the strategy's: a large source can take a few hundred MB.
          resourceLimits: { maxOldGenerationSizeMb: 768, stackSizeMb: 8 },
        });
        worker.unref();
        handle.worker = worker;
        worker.on('message', (reply: CompileReply | CompileReady) => {
          if ('ready' in reply) {
            loaded();
            return;
          }
          const job = this.#running;
          if (!job || reply.id !== job.id || this.#handle !== handle) return;
          this.#settle(job, (j) => {
            if (reply.ok) j.resolve({ ok: true, wasm: reply.wasm, compileMs: reply.compileMs });
            else if (reply.kind === 'diagnostics')
              j.resolve({
                ok: false,
                message: reply.message,
                diagnostics: reply.diagnostics,
                compileMs: reply.compileMs,
              });
            else j.reject(new AppError('INTERNAL', `The compiler failed: ${reply.message}`));
          });
        });
        worker.on('error', (err) => lost(err.message));
        worker.on('exit', (code) => lost(`exit code ${code}`));
      },
      (err: unknown) => lost(err instanceof Error ? err.message : String(err)),
    );
    return handle;
  }

  #drop(handle: Handle): void {
    handle.gone = true;
    if (this.#handle === handle) this.#handle = null;
    void handle.worker?.terminate();
  }

  #armIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (!this.#handle) return;
    this.#idleTimer = setTimeout(() => {
      const handle = this.#handle;
      if (handle && !this.#running && this.#queue.length === 0) this.#drop(handle);
    }, this.#o.idleMs);
    this.#idleTimer.unref();
  }

  /** Ends `job` once, frees its tenant's place, runs the next. */
  #settle(job: Job, end: (j: Job) => void): void {
    if (job.settled) return;
    job.settled = true;
    this.#tenants.delete(job.tenantId);
    if (this.#running === job) {
      this.#running = null;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    }
    end(job);
    queueMicrotask(() => this.#pump());
  }
}
