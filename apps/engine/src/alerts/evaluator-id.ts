import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@qt/shared';
import { z } from 'zod';

/** The file in DATA_DIR holding the id this engine's alert evaluator uses when INSTANCE_ID is not set. */
export const INSTANCE_ID_FILE = 'instance-id';

const storedId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1 to 64)');

/**
 * The id under which this engine's alert evaluator stores its snapshot and names its durable consumers.
 * It must be the same at every start of the same engine: the snapshot is found by it and the restart
 * guarantee rests on that snapshot; a new id per start also left three durable consumers and snapshot
 * rows behind every time. INSTANCE_ID when it is set (`explicit`); else an id generated once and kept in
 * `${dataDir}/instance-id` (0600). Engines sharing NATS and a database must each set a distinct
 * INSTANCE_ID or have their own DATA_DIR; two live ones on the same id are caught by evaluator-lock.ts.
 */
export function alertEvaluatorId(params: { instanceId: string; explicit: boolean; dataDir: string }): string {
  if (params.explicit && params.instanceId) return `alerts:${params.instanceId}`;
  return `alerts:${persistedInstanceId(params.dataDir)}`;
}

/** Reads `${dataDir}/instance-id`, creating it (once, exclusively) when it does not exist yet. */
export function persistedInstanceId(dataDir: string): string {
  const path = join(dataDir, INSTANCE_ID_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: two engines starting at once on the same DATA_DIR never both write; the loser reads below.
    writeFileSync(path, `engine-${randomBytes(8).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const parsed = storedId.safeParse(readFileSync(path, 'utf8'));
  if (!parsed.success) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${path} does not hold an engine id (${parsed.error.issues[0]?.message ?? 'invalid'}): fix or delete it, or set INSTANCE_ID`,
    );
  }
  return parsed.data;
}

/**
 * What an evaluator's durable consumer names are built from (`alerts-trades-<base>`, ...): NATS allows
 * letters, digits, _ and - in them, and the names stay short. Two ids may share a base (`a:b` and `a_b`,
 * or a common 48-character prefix): the evaluator lock is keyed on the base, so they never run at once.
 */
export function consumerBaseName(evaluatorId: string): string {
  return evaluatorId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48) || 'default';
}
