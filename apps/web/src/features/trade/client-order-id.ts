/**
 * A client order id for one submission. `crypto.randomUUID` needs a secure context, which a dashboard
 * served over plain http on a LAN address is not; `getRandomValues` works everywhere.
 */
export function newClientOrderId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
