import 'server-only';
import { redirect } from 'next/navigation';
import { connection } from 'next/server';
import { getServerSession, type Session } from 'next-auth';
import { cache } from 'react';
import { authOptions } from './auth-options';

/**
 * The signed-in person, once per request however many layouts and pages ask. Marks the page as rendered
 * per request (`connection`) before the runtime configuration is read: nothing here can be prerendered.
 * A session cookie that does not say when its session began (issued before that was recorded) counts as
 * signed out: engine tokens need the time, so that a sign-out or password reset can end the session.
 */
export const getSession = cache(async (): Promise<Session | null> => {
  await connection();
  const session = await getServerSession(authOptions());
  return session?.signedInAt ? session : null;
});

/** For pages behind sign-in: the session, or a redirect to the sign-in page. */
export async function requireSession(): Promise<Session> {
  const session = await getSession();
  if (!session) redirect('/signin');
  return session;
}
