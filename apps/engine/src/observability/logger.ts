import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON lines to stdout (pino); `LOG_PRETTY=1` is for humans at a terminal and is read by the start script. */
export function createLogger(level: string, instanceId: string): Logger {
  return pino({
    level,
    base: { instance: instanceId },
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.secret', '*.token'],
      censor: '[redacted]',
    },
  });
}
