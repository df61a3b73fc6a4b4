#!/usr/bin/env node
// Stands in for Prisma's native schema engine, which Prisma's CLI downloads at run time (impossible
// offline). `prisma generate` only needs the engine's path to exist; nothing in this project asks it to
// migrate or introspect: migrations are applied by packages/db/src/migrate. Called anyway, it says so.
process.stderr.write(
  'Prisma schema engine stand-in: this project applies migrations with `npm run migrate` (packages/db/src/migrate).\n',
);
process.exit(1);
