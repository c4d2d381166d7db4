/**
 * What the log says about a failed portal sign-in: the step that failed, the IdP's own `error`,
 * `error_description` and `error_uri` (RFC 6749 §5.2) when it sent them, and the first line of the
 * underlying failure. Never the code, the state, a token or the client secret: only those fields.
 */
export interface SignInFailure {
  step: string;
  reason?: string;
  error?: string;
  error_description?: string;
  error_uri?: string;
}

const IDP_ERROR_FIELDS = ['error', 'error_description', 'error_uri'] as const;
type IdpError = Partial<Record<(typeof IDP_ERROR_FIELDS)[number], string>>;

const clean = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The IdP's error fields of an object (a callback's parameters, a token response body, a WWW-Authenticate challenge's parameters). */
export function idpErrorOf(source: unknown): IdpError {
  if (!isRecord(source)) return {};
  const said: IdpError = {};
  for (const field of IDP_ERROR_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') said[field] = clean(value);
  }
  return said;
}

// oauth4webapi's error codes, by the step of the callback that throws them.
const TOKEN_RESPONSE = new Set(['OAUTH_RESPONSE_BODY_ERROR', 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_INVALID_RESPONSE']);
const ID_TOKEN = new Set(['OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_KEY_SELECTION_FAILED', 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED']);

// next-auth's error kinds (its `type`: bundling renames classes) that name a step by themselves.
const STEP_OF_TYPE: Record<string, string> = {
  OAuthCallbackError: 'authorization',
  InvalidCheck: 'state, PKCE or nonce check',
  AccessDenied: 'sign-in check',
  SignInError: 'authorization request',
  OAuthSignInError: 'authorization request',
};

/** Thrown by the profile callback when the IdP's claims cannot make a portal user. */
export class ProfileRefused extends Error {
  readonly signInStep = 'profile';
}

const authErrorType = (error: Error) => ('type' in error && typeof error.type === 'string' ? error.type : error.name);

/** The underlying failure: next-auth wraps it as `cause.err`. */
function innerOf(error: Error): unknown {
  const cause: unknown = error.cause;
  return isRecord(cause) && 'err' in cause ? cause.err : cause;
}

function stepOf(type: string, inner: unknown): string {
  const code = isRecord(inner) && typeof inner.code === 'string' ? inner.code : undefined;
  if (isRecord(inner) && inner.signInStep === 'profile') return 'profile';
  if (code && TOKEN_RESPONSE.has(code)) return 'token exchange';
  if (code && ID_TOKEN.has(code)) return 'ID token check';
  return STEP_OF_TYPE[type] ?? 'callback';
}

/** A WWW-Authenticate challenge's error fields (oauth4webapi puts the parsed challenges in `cause`). */
function challengeErrorOf(inner: unknown): IdpError {
  if (!isRecord(inner) || inner.code !== 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' || !Array.isArray(inner.cause)) return {};
  for (const challenge of inner.cause) {
    const said = idpErrorOf(isRecord(challenge) ? challenge.parameters : undefined);
    if (said.error) return said;
  }
  return {};
}

/** What next-auth's error hook was handed, as one log line's fields. */
export function signInFailureOf(error: Error): SignInFailure {
  const inner = innerOf(error);
  const message = inner instanceof Error ? inner.message : error.message;
  // A token response's body: on the inner error (oauth4webapi) and spread into next-auth's cause.
  const said = { ...challengeErrorOf(inner), ...idpErrorOf(error.cause), ...idpErrorOf(inner) };
  return { step: stepOf(authErrorType(error), inner), reason: clean(message.split('\n')[0] ?? ''), ...said };
}
