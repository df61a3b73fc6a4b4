import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const secretsSchema = z.object({
  sessionSecret: z.string().min(32),
  demoPassword: z.string().min(12),
});
export type LocalSecrets = z.infer<typeof secretsSchema>;

/**
 * For the embedded default only: secrets a newcomer should not have to invent, generated on first start
 * and kept (mode 0600) in the git-ignored data folder so restarts keep sessions and the demo login valid.
 * A distributed deployment sets SESSION_SECRET instead.
 */
export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const path = join(dataDir, 'secrets.json');
  if (existsSync(path)) {
    const parsed = secretsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return parsed.data;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    sessionSecret: randomBytes(32).toString('base64url'),
    demoPassword: `demo-${randomBytes(6).toString('base64url')}`,
  };
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secrets;
}
