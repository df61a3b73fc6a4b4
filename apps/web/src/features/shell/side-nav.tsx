'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';

interface NavItem {
  href: string;
  label: string;
  testId: string;
  icon: ReactNode;
}

// Only what works today; no dead links.
const items: readonly NavItem[] = [
  {
    href: '/',
    label: 'Overview',
    testId: 'nav-overview',
    icon: <path d="M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10" />,
  },
  {
    href: '/markets',
    label: 'Markets',
    testId: 'nav-markets',
    icon: <path d="M7 4v3M7 17v3M17 3v4M17 15v6M5 7h4v10H5zM15 7h4v8h-4z" />,
  },
  {
    href: '/trade',
    label: 'Trade',
    testId: 'nav-trade',
    icon: <path d="M4 17l5-5 4 4 7-8M15 8h5v5" />,
  },
  {
    href: '/strategies',
    label: 'Strategies',
    testId: 'nav-strategies',
    icon: <path d="M8 6l-5 6 5 6M16 6l5 6-5 6M13.5 4l-3 16" />,
  },
  {
    href: '/backtests',
    label: 'Backtest',
    testId: 'nav-backtests',
    icon: <path d="M3 3v18h18M7 14l3-3 3 3 5-6M12 3a9 9 0 0 1 0 0" />,
  },
  {
    href: '/marketplace',
    label: 'Marketplace',
    testId: 'nav-marketplace',
    icon: (
      <path d="M3 9l1.5-5h15L21 9M3 9h18M3 9v1a3 3 0 0 0 6 0 3 3 0 0 0 6 0 3 3 0 0 0 6 0V9M5 13v7h14v-7M10 20v-4h4v4" />
    ),
  },
  {
    href: '/alerts',
    label: 'Alerts',
    testId: 'nav-alerts',
    icon: <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0" />,
  },
  {
    href: '/usage',
    label: 'Usage',
    testId: 'nav-usage',
    icon: <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />,
  },
  {
    href: '/billing',
    label: 'Billing',
    testId: 'nav-billing',
    icon: <path d="M3 6h18v12H3zM3 10h18M7 15h4" />,
  },
  {
    href: '/settings',
    label: 'Settings',
    testId: 'nav-settings',
    icon: (
      <>
        <circle cx="12" cy="12" r="3" />
        <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
      </>
    ),
  },
];

export function SideNav() {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Main"
      className="flex gap-1 overflow-x-auto border-b border-zinc-800 px-3 py-2 md:w-52 md:overflow-visible md:shrink-0 md:flex-col md:border-r md:border-b-0 md:py-4"
    >
      {items.map((item) => {
        const active = item.href === '/' ? pathname === '/' : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            data-testid={item.testId}
            aria-current={active ? 'page' : undefined}
            className={`flex items-center gap-2.5 rounded-md px-3 py-2 text-sm font-medium transition-colors ${
              active ? 'bg-zinc-800/80 text-zinc-50' : 'text-zinc-400 hover:bg-zinc-900 hover:text-zinc-200'
            }`}
          >
            <svg
              viewBox="0 0 24 24"
              className={`size-4 ${active ? 'text-emerald-400' : ''}`}
              fill="none"
              stroke="currentColor"
              strokeWidth="1.75"
              strokeLinecap="round"
              strokeLinejoin="round"
              aria-hidden="true"
            >
              {item.icon}
            </svg>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
