/** Runs once when the server starts (see check-env-at-start.ts). */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkEnvAtStart } = await import('./check-env-at-start');
    checkEnvAtStart();
  }
}
