import type { Handler } from '../context.ts';

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** Method + path patterns with `:name` segments; captured segments are passed to the handler in order. */
export class Router {
  private readonly routes: Route[] = [];

  add(routes: [string, string, Handler][]): this {
    for (const [method, path, handler] of routes) {
      const source = path.replace(/[.]/g, '\\.').replace(/:[a-z_]+/g, '([^/]+)');
      this.routes.push({ method, pattern: new RegExp(`^${source}$`), handler });
    }
    return this;
  }

  /** The matching route, `null` when the path exists with other methods, `undefined` when unknown. */
  match(method: string, path: string): { handler: Handler; args: string[] } | null | undefined {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method === method)
        return { handler: route.handler, args: m.slice(1).map(decodeURIComponent) };
    }
    return pathKnown ? null : undefined;
  }
}
