import { alertFiringSchema, defineTopic, subjectToken } from '@qt/shared';

/**
 * `alerts.fired.<tenantId>`: each firing, published once its row committed and only by the commit that
 * created it (msgId = firing id; clients key on the id). Feeds the in-app live stream (`alerts.onFired`)
 * of every engine; the database is the record, and external channels are sent only from stored rows.
 */
export const alertsFiredTopic = defineTopic({
  name: 'alerts.fired',
  stream: 'ALERTS_FIRED',
  pattern: 'alerts.fired.>',
  schema: alertFiringSchema,
});

export function alertsFiredSubject(tenantId: string): string {
  return `alerts.fired.${subjectToken('tenant', tenantId)}`;
}
