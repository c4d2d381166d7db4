import { CallbackRouteError, InvalidCheck } from '@auth/core/errors';
import { OperationProcessingError, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { ProfileRefused, signInFailureOf } from '@/lib/portal/sign-in-failure';

/**
 * The errors next-auth hands its error hook, built from the library's own classes as its callback
 * builds them: it passes the caught error itself (its types only declare a message).
 */
const RouteError = CallbackRouteError as unknown as new (inner: Error, options: { provider: string }) => Error;
const wrapped = (inner: Error) => new RouteError(inner, { provider: 'oidc' });

describe('signInFailureOf', () => {
  it("keeps the IdP's error and error_description of a refused token exchange, and names the step", () => {
    const body = { error: 'invalid_client', error_description: 'client authentication failed' };
    const inner = new ResponseBodyError('server responded with an error in the response body', { cause: body, response: new Response(null, { status: 401 }) });
    expect(signInFailureOf(wrapped(inner))).toEqual({
      step: 'token exchange',
      reason: 'server responded with an error in the response body',
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });

  it("reads a WWW-Authenticate challenge's error (a 401 with the header)", () => {
    const challenges = [{ scheme: 'bearer' as const, parameters: { error: 'invalid_token', error_description: 'expired' } }];
    const inner = new WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', { cause: challenges, response: new Response(null, { status: 401 }) });
    expect(signInFailureOf(wrapped(inner))).toMatchObject({ step: 'token exchange', error: 'invalid_token', error_description: 'expired' });
  });

  it('names the ID token check, the profile and the state/PKCE/nonce check as steps', () => {
    const nonce = new OperationProcessingError('unexpected ID Token "nonce" claim value', { cause: { claim: 'nonce' }, code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' } as ErrorOptions);
    expect(signInFailureOf(wrapped(nonce))).toMatchObject({ step: 'ID token check', reason: 'unexpected ID Token "nonce" claim value' });
    expect(signInFailureOf(wrapped(new ProfileRefused('the identity provider sent no "upn" claim')))).toEqual({ step: 'profile', reason: 'the identity provider sent no "upn" claim' });
    expect(signInFailureOf(new InvalidCheck('pkceCodeVerifier value could not be parsed'))).toMatchObject({ step: 'state, PKCE or nonce check' });
  });

  it('keeps only the error fields, one line of each, and nothing else of the response body', () => {
    const body = { error: 'invalid_grant\nforged: line', error_description: 'x'.repeat(1000), access_token: 'secret-access-token', refresh_token: 'secret-refresh' };
    const failure = signInFailureOf(wrapped(new ResponseBodyError('server responded with an error in the response body', { cause: body, response: new Response(null, { status: 400 }) })));
    expect(JSON.stringify(failure)).not.toContain('secret-');
    expect(failure.error).toBe('invalid_grant forged: line');
    expect(failure.error_description).toHaveLength(300);
  });
});
