import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export function normalizeAddress(address: string): string;
export function parseTrustedProxies(csv: string | undefined): Set<string>;
export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string | undefined;
export function rewriteForwardedFor(req: IncomingMessage, trusted: ReadonlySet<string>): void;
export function createForwardingServer(
  handle: (req: IncomingMessage, res: ServerResponse) => unknown,
  trusted: ReadonlySet<string>,
): Server;
