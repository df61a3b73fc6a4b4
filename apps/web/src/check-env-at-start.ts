import { serverEnv } from './env';

/** A bad environment stops the server with the variable named, as the engine does, instead of every page answering 500. */
export function checkEnvAtStart(): void {
  try {
    serverEnv();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
}
