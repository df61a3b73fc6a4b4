import type {
  BacktestProgressView,
  BacktestResultView,
  BacktestView,
  CompileResultView,
  DeployInput,
  DeploymentPnlView,
  DeploymentView,
  RunBacktestInput,
  StrategyExampleView,
  StrategyLogLineView,
  StrategyParams,
  StrategySourceView,
  StrategyView,
} from '../index.ts';
import type { StrategyScope } from './scopes.ts';

/**
 * What the API needs from the strategy runner and the backtest jobs (implemented by the engine). Every
 * method checks that the strategy, deployment, backtest or paper account belongs to `scope.tenantId`
 * and answers NOT_FOUND otherwise, exactly as for an id that does not exist.
 */
export interface StrategiesPort {
  examples(): Promise<StrategyExampleView[]>;
  list(scope: StrategyScope): Promise<StrategyView[]>;
  get(scope: StrategyScope, strategyId: string): Promise<StrategyView>;
  /** Validates the module (refusals: STRATEGY_INVALID_MODULE with the reason) and stores a new version. */
  upload(
    scope: StrategyScope,
    input: { name: string; description?: string | undefined; wasm: Uint8Array },
  ): Promise<StrategyView>;
  createFromExample(scope: StrategyScope, input: { name: string; example: string }): Promise<StrategyView>;
  /** Compiles AssemblyScript on the server; the compiler's problems placed in the source. Stores nothing. */
  compileSource(scope: StrategyScope, source: string): Promise<CompileResultView>;
  /** A new version of the strategy from source (STRATEGY_COMPILE_FAILED when it does not compile). */
  saveSource(scope: StrategyScope, input: { strategyId: string; source: string }): Promise<StrategyView>;
  /** A version's AssemblyScript (null for an uploaded module). */
  source(
    scope: StrategyScope,
    input: { strategyId: string; version?: number | undefined },
  ): Promise<StrategySourceView>;

  deploy(scope: StrategyScope, input: DeployInput): Promise<DeploymentView>;
  listDeployments(scope: StrategyScope, input: { accountId?: string | undefined }): Promise<DeploymentView[]>;
  getDeployment(scope: StrategyScope, deploymentId: string): Promise<DeploymentView>;
  /** The deployment's own PnL (its orders' fills only), marked with the account's mark prices. */
  deploymentPnl(scope: StrategyScope, deploymentId: string): Promise<DeploymentPnlView>;
  pause(scope: StrategyScope, deploymentId: string): Promise<DeploymentView>;
  resume(scope: StrategyScope, deploymentId: string): Promise<DeploymentView>;
  stop(scope: StrategyScope, deploymentId: string): Promise<DeploymentView>;
  redeploy(
    scope: StrategyScope,
    input: { deploymentId: string; version?: number | undefined; params?: StrategyParams | undefined },
  ): Promise<DeploymentView>;
  logs(scope: StrategyScope, input: { deploymentId: string; limit: number }): Promise<StrategyLogLineView[]>;
  /** State and metrics of the tenant's deployments as they change, until `signal` aborts. */
  deploymentUpdates(scope: StrategyScope, signal: AbortSignal): AsyncIterable<DeploymentView>;
  logStream(
    scope: StrategyScope,
    deploymentId: string,
    signal: AbortSignal,
  ): AsyncIterable<StrategyLogLineView>;

  runBacktest(scope: StrategyScope, input: RunBacktestInput): Promise<BacktestView>;
  listBacktests(scope: StrategyScope, input: { strategyId?: string | undefined }): Promise<BacktestView[]>;
  getBacktest(scope: StrategyScope, backtestId: string): Promise<BacktestResultView>;
  cancelBacktest(scope: StrategyScope, backtestId: string): Promise<BacktestView>;
  backtestProgress(
    scope: StrategyScope,
    backtestId: string,
    signal: AbortSignal,
  ): AsyncIterable<BacktestProgressView>;
}
