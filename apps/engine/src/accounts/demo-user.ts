import { type ApiDeps, createAccount } from '@qt/api';

export const DEMO_EMAIL = 'demo@quant-trader.local';

/**
 * Creates the demo login once, verified (its address is not a real mailbox, and it exists so a newcomer
 * can sign in at once); later starts find it and leave it (and any password change) alone.
 */
export async function ensureDemoUser(deps: ApiDeps, password: string): Promise<{ created: boolean }> {
  const existing = await deps.db.user.findUnique({ where: { email: DEMO_EMAIL } });
  if (existing) return { created: false };
  await createAccount(
    deps,
    { email: DEMO_EMAIL, password, name: 'Demo Trader', tenantName: 'Demo Desk' },
    { verifiedAt: new Date(deps.clock.now()) },
  );
  return { created: true };
}
