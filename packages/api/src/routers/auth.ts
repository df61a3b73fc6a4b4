import {
  accountMailSentSchema,
  emailOnlyInput,
  resetPasswordInput,
  resetPasswordResultSchema,
  signedInSchema,
  signInInput,
  signUpInput,
  signUpResultSchema,
  verifyEmailInput,
  verifyEmailResultSchema,
} from '@qt/shared';
import { requestPasswordReset, resetPassword } from '../domains/accounts/password-reset.ts';
import { signIn } from '../domains/accounts/sign-in.ts';
import { signUp } from '../domains/accounts/sign-up.ts';
import { resendVerification, verifyEmail } from '../domains/accounts/verify-email.ts';
import { publicProcedure, router } from '../trpc.ts';
import { signOutProcedure } from './sign-out.ts';

// Used by the web server's sign-up form and next-auth's credentials check; scripts use API keys instead.
export const authRouter = router({
  // Answers the same whether or not the address has an account; the account is confirmed by email.
  signUp: publicProcedure
    .input(signUpInput)
    .output(signUpResultSchema)
    .mutation(({ ctx, input }) => signUp(ctx.deps, input, ctx.ip)),
  verifyEmail: publicProcedure
    .input(verifyEmailInput)
    .output(verifyEmailResultSchema)
    .mutation(({ ctx, input }) => verifyEmail(ctx.deps, input)),
  resendVerification: publicProcedure
    .input(emailOnlyInput)
    .output(accountMailSentSchema)
    .mutation(({ ctx, input }) => resendVerification(ctx.deps, input.email, ctx.ip)),
  requestPasswordReset: publicProcedure
    .input(emailOnlyInput)
    .output(accountMailSentSchema)
    .mutation(({ ctx, input }) => requestPasswordReset(ctx.deps, input.email, ctx.ip)),
  resetPassword: publicProcedure
    .input(resetPasswordInput)
    .output(resetPasswordResultSchema)
    .mutation(({ ctx, input }) => resetPassword(ctx.deps, input)),
  signIn: publicProcedure
    .input(signInInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => signIn(ctx.deps, input, ctx.ip)),
  signOut: signOutProcedure,
});
