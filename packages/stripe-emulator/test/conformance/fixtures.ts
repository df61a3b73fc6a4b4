import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Json } from './shape.ts';

/**
 * Stripe's own example object of each resource the emulator answers with, taken from Stripe's OpenAPI
 * repository (`openapi/fixtures3.json`); `source` in the file names the commit.
 */
const file = JSON.parse(
  readFileSync(new URL('../fixtures/stripe-fixtures.json', import.meta.url), 'utf8'),
) as {
  source: string;
  resources: Record<string, { [key: string]: Json }>;
};
export const stripeFixtures = file.resources;
export const fixturesSource = file.source;

/**
 * The event types Stripe lists, as the pinned SDK ships them (`Stripe.Event.Type`): the SDK has no
 * runtime list, so the union is read from its declaration file. An empty result is an error, not a pass.
 */
function readEventTypes(): Set<string> {
  const require = createRequire(import.meta.url);
  // `stripe/package.json` is not exported: walk up from the entry point to the package's root.
  let root = dirname(require.resolve('stripe'));
  while (!isStripeRoot(root)) {
    if (dirname(root) === root) throw new Error('stripe package root not found');
    root = dirname(root);
  }
  const source = readFileSync(join(root, 'cjs', 'resources', 'Events.d.ts'), 'utf8');
  const union = /\btype Type = ([^;]+);/.exec(source)?.[1];
  if (!union) throw new Error('Stripe.Event.Type not found in the stripe SDK declarations');
  const types = new Set([...union.matchAll(/'([a-z0-9_.]+)'/g)].map((m) => m[1] as string));
  if (types.size < 100) throw new Error(`only ${types.size} event types read from the stripe SDK`);
  return types;
}
function isStripeRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  return (
    existsSync(manifest) &&
    (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'stripe'
  );
}

export const stripeEventTypes = readEventTypes();
