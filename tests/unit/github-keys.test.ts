import { describe, expect, it } from 'vitest';
import { isAppError } from '@/lib/errors';
import { createLogger } from '@/lib/log/logger';
import { GithubSecretScanning } from '@/lib/secret-scanning/github';
import { GithubKeys } from '@/lib/secret-scanning/github-keys';
import type { TokenHolders } from '@/lib/tokens/holders';
import { freePort } from '../support/ports';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('GitHub secret scanning keys', () => {
  it('answers 503 (GitHub retries), not 401, while its keys cannot be fetched at all', async () => {
    const port = await freePort(); // nothing listens there
    const keys = new GithubKeys({ url: `http://127.0.0.1:${port}/keys`, timeoutMs: 2000, ttlMs: 60_000, refetchMs: 0, logger });
    expect(await keys.find('kid-1')).toEqual({ status: 'unavailable' });
    // No database work happens before the signature is checked.
    const scanning = new GithubSecretScanning({ holders: {} as TokenHolders, keys, logger });
    const refused = await scanning.handle({ body: Buffer.from('[]'), keyIdentifier: 'kid-1', signature: 'AAAA', clientAddress: undefined, userAgent: undefined }).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.status).toBe(503);
  });
});
