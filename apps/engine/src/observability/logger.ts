import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/** A repeated warning is written once per this period; the next one says how many were held back. */
const repeatWindowMs = 60_000;
/** Distinct repeated messages remembered at once (the oldest is forgotten first). */
const maxRepeatKeys = 256;

/**
 * `LOG_FORMAT=json|pretty` wins; otherwise human lines on a terminal and JSON lines (for collectors,
 * and for `npm start`, which formats them itself) everywhere else.
 */
export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  isTty = process.stdout.isTTY === true,
): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTty ? 'pretty' : 'json';
}

/**
 * The engine's logger: pino JSON lines to stdout, or pino-pretty lines when the format is `pretty` (and
 * pino-pretty is installed: it is a development dependency, so a production install falls back to JSON).
 * Warnings and errors that repeat (a venue that cannot be reached, retried every few seconds) are written
 * once per minute with the number held back, instead of flooding the terminal.
 */
export function createLogger(
  level: string,
  instanceId: string,
  opts: { format?: LogFormat; destination?: DestinationStream; now?: () => number } = {},
): Logger {
  const format = opts.format ?? logFormat();
  const options: LoggerOptions = {
    level,
    base: { instance: instanceId },
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.secret', '*.token'],
      censor: '[redacted]',
    },
    hooks: { logMethod: repeatLimiter(opts.now ?? Date.now) },
  };
  const destination = opts.destination ?? (format === 'pretty' ? prettyStream() : undefined);
  return destination ? pino(options, destination) : pino(options);
}

function prettyStream(): DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
    return pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,instance',
      singleLine: true,
    });
  } catch {
    return undefined;
  }
}

type LogMethodHook = NonNullable<NonNullable<LoggerOptions['hooks']>['logMethod']>;

/** Warn and above (pino levels >= 40) with the same message shape pass once per window per venue. */
function repeatLimiter(now: () => number): LogMethodHook {
  const seen = new Map<string, { until: number; held: number }>();
  return function (this: Logger, args, method, level) {
    if (level < 40) return method.apply(this, args);
    const msg = typeof args[0] === 'string' ? args[0] : typeof args[1] === 'string' ? args[1] : '';
    // Per venue (a child logger's binding), ignoring what varies between retries: numbers, and the
    // endpoints and host names a feed rotates through.
    const venue = (this.bindings() as { venue?: unknown }).venue;
    const shape = msg
      .split(' ')
      .filter((w) => !/[.:/]/.test(w))
      .join(' ')
      .replace(/\d+/g, '#');
    const key = `${level}:${typeof venue === 'string' ? venue : ''}:${shape}`;
    const t = now();
    const entry = seen.get(key);
    if (entry && t < entry.until) {
      entry.held++;
      return;
    }
    seen.delete(key);
    if (seen.size >= maxRepeatKeys) {
      const oldest = seen.keys().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
    seen.set(key, { until: t + repeatWindowMs, held: 0 });
    const held = entry?.held ?? 0;
    if (held > 0 && typeof args[0] === 'object' && args[0] !== null) {
      return method.apply(this, [
        { ...(args[0] as object), repeated: held },
        ...args.slice(1),
      ] as typeof args);
    }
    if (held > 0 && typeof args[0] === 'string') {
      return method.apply(this, [{ repeated: held }, ...args] as unknown as typeof args);
    }
    return method.apply(this, args);
  };
}
