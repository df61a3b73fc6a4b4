import type {
  AlertFiringView,
  AlertHistoryInput,
  AlertStateView,
  AlertView,
  CreateAlertInput,
  MarkReadInput,
  UpdateAlertInput,
} from '../index.ts';
import type { AlertScope } from './scopes.ts';

/**
 * What the API needs from the alert engine (implemented by the engine's AlertService). Every method
 * checks that the alert or firing belongs to `scope.tenantId` and answers NOT_FOUND otherwise, exactly as
 * for an id that does not exist. Rules and channels are validated there (VALIDATION_FAILED); creating or
 * resuming past the tier's active alerts is TIER_LIMIT_REACHED.
 */
export interface AlertsPort {
  create(scope: AlertScope, input: CreateAlertInput): Promise<AlertView>;
  list(scope: AlertScope, input: { state?: AlertStateView | undefined }): Promise<AlertView[]>;
  get(scope: AlertScope, alertId: string): Promise<AlertView>;
  update(scope: AlertScope, input: UpdateAlertInput): Promise<AlertView>;
  pause(scope: AlertScope, alertId: string): Promise<AlertView>;
  resume(scope: AlertScope, alertId: string): Promise<AlertView>;
  delete(scope: AlertScope, alertId: string): Promise<{ deleted: true }>;
  history(
    scope: AlertScope,
    input: AlertHistoryInput,
  ): Promise<{ items: AlertFiringView[]; next: string | null }>;
  markRead(scope: AlertScope, input: MarkReadInput): Promise<{ updated: number }>;
  /** The tenant's firings as they are stored, until `signal` aborts (bounded per subscriber). */
  firings(scope: AlertScope, signal: AbortSignal): AsyncIterable<AlertFiringView>;
}
