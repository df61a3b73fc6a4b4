import type { Ctx } from '../context.ts';
import { showCheckout, submitCheckout } from './checkout-page.ts';
import { payInvoice, showInvoice } from './invoice-page.ts';
import { showOnboarding, submitOnboarding } from './onboarding-page.ts';
import { portalCancel, portalCard, portalRenew, portalSwitch, showPortal } from './portal-page.ts';

export interface PageResult {
  status?: number;
  html?: string;
  redirect?: string;
}

export type PageHandler = (ctx: Ctx, form: URLSearchParams, args: string[]) => PageResult;

interface PageRoute {
  method: string;
  pattern: RegExp;
  handler: PageHandler;
}

export class PageRouter {
  private readonly routes: PageRoute[] = [];

  add(method: string, path: string, handler: PageHandler): this {
    this.routes.push({ method, pattern: new RegExp(`^${path.replace(/:[a-z_]+/g, '([^/]+)')}$`), handler });
    return this;
  }

  match(method: string, path: string): { handler: PageHandler; args: string[] } | undefined {
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (m && r.method === method) return { handler: r.handler, args: m.slice(1).map(decodeURIComponent) };
    }
    return undefined;
  }
}

export function pageRoutes(): PageRouter {
  return new PageRouter()
    .add('GET', '/c/pay/:id', showCheckout)
    .add('POST', '/c/pay/:id', submitCheckout)
    .add('GET', '/p/session/:id', showPortal)
    .add('POST', '/p/session/:id/cancel', portalCancel)
    .add('POST', '/p/session/:id/renew', portalRenew)
    .add('POST', '/p/session/:id/switch', portalSwitch)
    .add('POST', '/p/session/:id/card', portalCard)
    .add('GET', '/i/:id', showInvoice)
    .add('POST', '/i/:id', payInvoice)
    .add('GET', '/connect/onboard/:token', showOnboarding)
    .add('POST', '/connect/onboard/:token', submitOnboarding);
}
