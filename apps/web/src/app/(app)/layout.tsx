import type { ReactNode } from 'react';
import { requireSession } from '@/auth/session';
import { EngineProvider } from '@/engine/react';
import { serverEnv } from '@/env';
import { SideNav } from '@/features/shell/side-nav';
import { TopBar } from '@/features/shell/top-bar';

export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await requireSession();
  const { engine } = serverEnv();
  return (
    <EngineProvider engineUrl={engine.publicUrl} engineWsUrl={engine.publicWsUrl}>
      <div className="flex min-h-dvh flex-col">
        <TopBar email={session.user.email} sessionTenantName={session.tenant.name} />
        <div className="flex flex-1 flex-col md:flex-row">
          <SideNav />
          <main className="min-w-0 flex-1 px-4 py-6 sm:px-8 sm:py-8 has-[[data-wide-page]]:py-4 sm:has-[[data-wide-page]]:px-4">
            {/* Forms read best narrow; a page marked data-wide-page (the trading screens) takes the full width. */}
            <div className="mx-auto max-w-5xl has-[[data-wide-page]]:max-w-none">{children}</div>
          </main>
        </div>
      </div>
    </EngineProvider>
  );
}
