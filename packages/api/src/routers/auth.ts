import { signedInSchema, signInInput, signUpInput } from '@qt/shared';
import { signIn } from '../domains/accounts/sign-in.ts';
import { signUp } from '../domains/accounts/sign-up.ts';
import { publicProcedure, router } from '../trpc.ts';

// Used by the web server's sign-up form and next-auth's credentials check; scripts use API keys instead.
export const authRouter = router({
  signUp: publicProcedure
    .input(signUpInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => signUp(ctx.deps, input)),
  signIn: publicProcedure
    .input(signInInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => signIn(ctx.deps, input, ctx.ip)),
});
