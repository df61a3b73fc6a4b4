import { type NextRequest, NextResponse } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { serverEnv } from '@/env';

/**
 * Sends signed-out visitors of app pages to the sign-in page before anything renders. An optimistic
 * check of the session cookie only: the app layout checks the session again, and the engine checks
 * every call on its own.
 */
export async function proxy(req: NextRequest) {
  const token = await getToken({ req, secret: serverEnv().nextAuthSecret });
  if (token) return NextResponse.next();
  const signIn = new URL('/signin', req.url);
  const { pathname, search } = req.nextUrl;
  if (pathname !== '/') signIn.searchParams.set('callbackUrl', `${pathname}${search}`);
  return NextResponse.redirect(signIn);
}

export const config = {
  // Everything but the auth pages, API routes (they answer 401 themselves) and static assets.
  matcher: ['/((?!signin|signup|verify-email|reset-password|api/|_next/|favicon.ico|icon|robots.txt).*)'],
};
