import type { Handler } from '../context.ts';
import { allow, str, strArr } from '../http/params.ts';
import { paginate } from '../store.ts';

export const eventRoutes: [string, string, Handler][] = [
  ['GET', '/v1/events/:id', (ctx, _p, [id]) => ctx.store.get('event', id as string)],
  [
    'GET',
    '/v1/events',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'type', 'types', 'created', 'delivery_success']);
      const type = str(p, 'type');
      const types = strArr(p, 'types');
      // `type` accepts a `*` wildcard as Stripe's does (`invoice.*`).
      const pattern = type ? new RegExp(`^${type.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`) : undefined;
      const all = ctx.store
        .all('event')
        .filter((e) => (!pattern || pattern.test(e.type)) && (!types || types.includes(e.type)));
      return paginate(all, p, '/v1/events');
    },
  ],
];
