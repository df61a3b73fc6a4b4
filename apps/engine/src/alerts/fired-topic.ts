import { alertFiringSchema, defineTopic, subjectToken } from '@qt/shared';

/**
 * `alerts.fired.<tenantId>`: each stored firing, published after its row committed (msgId = firing id, so
 * two engines evaluating the same event publish it once). Feeds the in-app live stream (`alerts.onFired`)
 * of every engine; the database is the record.
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
