#!/usr/bin/env node
// `prisma generate`, offline: Prisma's CLI insists on locating its native schema engine (downloaded at
// run time, which cannot work here) even though generation itself runs in WebAssembly. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at a stand-in satisfies it. Runs from the root `postinstall`.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const prismaBin = join(root, 'node_modules/.bin/prisma');
const result = spawnSync(prismaBin, ['generate', '--config', join(root, 'prisma.config.ts')], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY:
      process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? join(here, 'schema-engine-stand-in.mjs'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
if (result.status !== 0) {
  process.stderr.write(
    `\nprisma generate failed (exit ${result.status ?? result.signal}). The Prisma client in packages/db/src/generated ` +
      'is required by the engine and the tests; fix prisma/schema.prisma and run `npm run generate -w @qt/db`.\n',
  );
  process.exit(result.status ?? 1);
}
