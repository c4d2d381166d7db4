import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestJson } from '@/lib/http/client';
import { failureStep } from '@/lib/http/outcome';
import { startUpstream, type Reply, type Upstream } from '../support/upstreams';

const schema = z.object({ uid: z.string() });
let upstream: Upstream;
const replies = new Map<string, Reply>();

beforeAll(async () => {
  upstream = await startUpstream((r) => replies.get(r.path) ?? { status: 404, text: 'no' });
});
afterAll(() => upstream.close());

async function call(path: string, reply: Reply, timeoutMs = 500) {
  replies.set(path, reply);
  return requestJson({ url: `${upstream.url}${path}?token=s3cret`, schema, timeoutMs });
}

describe('requestJson against a real loopback server', () => {
  it('returns validated JSON, including +json content types', async () => {
    expect(await call('/ok', { status: 200, json: { uid: 'alice', extra: 1 } })).toEqual({ ok: true, status: 200, data: { uid: 'alice' } });
    expect(await call('/problem', { status: 200, json: { uid: 'bob' }, contentType: 'application/problem+json; charset=utf-8' })).toMatchObject({ ok: true });
  });

  it('types every failure', async () => {
    expect(await call('/403', { status: 403, json: { error: 'no' } })).toMatchObject({ ok: false, kind: 'status', status: 403 });
    expect(await call('/500', { status: 500, text: 'boom' })).toMatchObject({ ok: false, kind: 'status', status: 500 });
    expect(await call('/redirect', { status: 302, text: '' })).toMatchObject({ ok: false, kind: 'status', status: 302 });
    expect(await call('/html', { status: 200, text: '<html>', contentType: 'text/html' })).toMatchObject({ ok: false, kind: 'content-type' });
    expect(await call('/garbage', { status: 200, text: '{"uid": ', contentType: 'application/json' })).toMatchObject({ ok: false, kind: 'invalid-json' });
    expect(await call('/shape', { status: 200, json: { uid: 42 } })).toMatchObject({ ok: false, kind: 'invalid-body' });
    expect(await call('/big', { oversized: 200 * 1024 })).toMatchObject({ ok: false, kind: 'too-large' });
    expect(await call('/reset', { reset: true })).toMatchObject({ ok: false, kind: 'network' });
  });

  it('gives up after the timeout, on a slow or a hanging server', async () => {
    const started = Date.now();
    expect(await call('/hang', { hang: true }, 300)).toMatchObject({ ok: false, kind: 'timeout' });
    expect(await call('/slow', { status: 200, json: { uid: 'late' }, delayMs: 1000 }, 300)).toMatchObject({ ok: false, kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a refused connection as a network failure', async () => {
    const result = await requestJson({ url: 'http://127.0.0.1:1/x?token=s3cret', schema, timeoutMs: 500 });
    expect(result).toMatchObject({ ok: false, kind: 'network' });
  });

  it('never puts the URL (and so the credential) in the failure detail', async () => {
    for (const path of ['/403', '/html', '/garbage', '/big', '/hang', '/reset']) {
      const result = await requestJson({ url: `${upstream.url}${path}?token=s3cret`, schema, timeoutMs: 300 });
      expect(JSON.stringify(result)).not.toContain('s3cret');
    }
  });
});

describe('failureStep', () => {
  it('rejects only on the documented statuses; everything else is unavailable', () => {
    expect(failureStep({ ok: false, kind: 'status', status: 403, detail: 'x' }, 'who-am-i', [401, 403]).status).toBe('rejected');
    expect(failureStep({ ok: false, kind: 'status', status: 500, detail: 'x' }, 'who-am-i', [401, 403]).status).toBe('unavailable');
    expect(failureStep({ ok: false, kind: 'status', status: 404, detail: 'x' }, 'who-am-i', [401, 403]).status).toBe('unavailable');
    for (const kind of ['network', 'timeout', 'content-type', 'too-large', 'invalid-json', 'invalid-body'] as const) {
      expect(failureStep({ ok: false, kind, detail: 'x' }, 'who-am-i', [401, 403]).status).toBe('unavailable');
    }
  });
});
