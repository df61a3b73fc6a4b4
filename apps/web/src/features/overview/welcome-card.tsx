'use client';

import type { Role } from '@qt/shared';
import Link from 'next/link';
import { RoleBadge, TierBadge } from '@/components/tier-badge';
import { Card } from '@/components/ui/card';
import { useMe } from '@/features/accounts/use-me';

export interface WelcomeCardProps {
  displayName: string;
  sessionTenantName: string;
  sessionRole: Role;
}

export function WelcomeCard({ displayName, sessionTenantName, sessionRole }: WelcomeCardProps) {
  const me = useMe();
  const tenant = me.data?.tenant;
  const role = me.data?.role ?? sessionRole;
  return (
    <Card title={`Welcome, ${displayName}`} description="Your workspace at a glance.">
      <dl className="grid grid-cols-[auto_1fr] items-center gap-x-6 gap-y-3 text-sm">
        <dt className="text-zinc-400">Workspace</dt>
        <dd className="flex items-center gap-2 font-medium text-zinc-100">
          {tenant?.name ?? sessionTenantName}
          {tenant && <TierBadge tier={tenant.tier} />}
        </dd>
        <dt className="text-zinc-400">Your role</dt>
        <dd>
          <RoleBadge role={role} data-testid="overview-role" />
        </dd>
        <dt className="text-zinc-400">You can</dt>
        <dd className="text-zinc-300">{me.data ? describeScopes(me.data.scopes) : '…'}</dd>
      </dl>
      <div className="mt-5 border-t border-zinc-800 pt-4 text-sm text-zinc-400">
        <p className="mb-2 text-zinc-300">Where to start:</p>
        <ul className="space-y-1.5" data-testid="overview-tour">
          {tour.map((t) => (
            <li key={t.href}>
              <Link href={t.href} className="font-medium text-emerald-300 hover:text-emerald-200">
                {t.label}
              </Link>{' '}
              — {t.text}
            </li>
          ))}
        </ul>
      </div>
    </Card>
  );
}

/** What exists today, in the order a newcomer meets it (kept true to the navigation). */
const tour: readonly { href: string; label: string; text: string }[] = [
  { href: '/markets', label: 'Markets', text: 'live candles and trades from Binance, OKX and Bybit.' },
  {
    href: '/trade',
    label: 'Trade',
    text: 'paper accounts with a starting balance, orders, fills and risk limits.',
  },
  {
    href: '/strategies',
    label: 'Strategies',
    text: 'upload WebAssembly strategies and deploy them on a paper account.',
  },
  {
    href: '/backtests',
    label: 'Backtest',
    text: 'replay a strategy over stored candles before deploying it.',
  },
  { href: '/alerts', label: 'Alerts', text: 'price and indicator alerts, in the app, by email or webhook.' },
  {
    href: '/marketplace',
    label: 'Marketplace',
    text: "subscribe to other traders' strategies, or sell yours.",
  },
  { href: '/billing', label: 'Billing', text: 'your plan and its limits; usage is under Usage.' },
  { href: '/settings', label: 'Settings', text: 'API keys to call the engine from your own scripts.' },
];

function describeScopes(scopes: readonly string[]): string {
  const can = [
    scopes.includes('read') && 'read data',
    scopes.includes('trade') && 'trade',
    scopes.includes('manage') && 'manage the workspace and API keys',
  ].filter(Boolean);
  return can.length > 0 ? `${can.join(', ')}.` : 'nothing yet.';
}
