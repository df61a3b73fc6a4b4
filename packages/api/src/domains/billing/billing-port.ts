// The port is a contract shared with the engine and lives in `@qt/shared`; re-exported for this
// package's context (the `ApiDeps` it is wired into).
export type { BillingPort, BillingScope } from '@qt/shared';
