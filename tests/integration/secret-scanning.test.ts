import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatToken } from '@/lib/tokens/format';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { eventually, startWebhookReceiver } from '../support/notification-receivers';
import { ALICE, BOB, ROOT, localUsers } from '../support/local-users';
import { jsonApi } from '../support/json-api';

const WEBHOOK_SECRET = 'webhook-secret-of-the-test-0123456789';

/** GitHub's key endpoint on loopback, with P-256 keys made at test time; keys can be published later (rotation). */
async function startKeysServer() {
  const published: Array<{ key_identifier: string; key: string; is_current: boolean }> = [];
  const privateKeys = new Map<string, KeyObject>();
  const makeKey = (id: string) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    privateKeys.set(id, privateKey);
    return { key_identifier: id, key: publicKey.export({ type: 'spki', format: 'pem' }).toString(), is_current: true };
  };
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ public_keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning`,
    publish: (id: string) => published.push(makeKey(id)),
    /** A key that exists but is not published. */
    unpublished: (id: string) => void makeKey(id),
    signWith: (id: string, body: string) => {
      const key = privateKeys.get(id);
      if (!key) throw new Error(`no key ${id}`);
      return sign('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }).toString('base64');
    },
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(DATABASE_KINDS)('GitHub secret scanning alerts, usage and leak notifications through the app (%s)', (database) => {
  let app: RunningApp;
  let keys: Awaited<ReturnType<typeof startKeysServer>>;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    keys = await startKeysServer();
    keys.publish('kid-1');
    keys.unpublished('kid-x');
    webhook = await startWebhookReceiver(WEBHOOK_SECRET);
    app = await startApp({
      database,
      config: {
        providers: [localUsers(), { type: 'tokens', name: 'portal-tokens' }],
        portal: { realm: 'local', admin_roles: ['admin'] },
        tokens: { creations_per_minute: 100 },
        secret_scanning: { github: { keys_url: keys.url, refetch_interval: '1s' } },
        notifications: { webhook: { url: webhook.url, secret: WEBHOOK_SECRET }, poll_interval: '1s', retry_delay: '1s' },
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await keys?.close();
    await webhook?.close();
  });

  const api = jsonApi(() => app.url);
  const create = async (name: string) => {
    const response = await api('POST', '/api/tokens', ALICE, { name, expires_in: '7d' });
    expect(response.status).toBe(201);
    return response.body as { token: { id: string }; secret: string };
  };
  const check = (token: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
  const alert = (body: string, headers: Record<string, string | undefined>, contentType = 'application/json') =>
    fetch(`${app.url}/api/secret-scanning/github`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, ...Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined)) },
      body,
    });
  const signed = (body: string, id = 'kid-1', signer = id) => alert(body, { 'Github-Public-Key-Identifier': id, 'Github-Public-Key-Signature': keys.signWith(signer, body) });

  it('revokes a real, active token GitHub found, labels the rest false positives, audits it and tells the owner', async () => {
    const leaked = await create('leaked');
    const kept = await create('kept');
    const revoked = await create('revoked already');
    expect(await api('DELETE', `/api/tokens/${revoked.token.id}`, ALICE)).toMatchObject({ status: 200 });
    expect(await check(leaked.secret)).toBe(200);
    const wrongSecret = formatToken('aot', kept.token.id, 'W'.repeat(36));
    const body = JSON.stringify([
      { token: leaked.secret, type: 'auth_o_tron_token', url: 'https://github.com/alice/repo/blob/main/.env', source: 'content' },
      { token: wrongSecret, type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'content' },
      { token: revoked.secret, type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'commit' },
      { token: 'aot_notatokenatall', type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'issue' },
    ]);
    const response = await signed(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { token_raw: leaked.secret, token_type: 'auth_o_tron_token', label: 'true_positive' },
      { token_raw: wrongSecret, token_type: 'auth_o_tron_token', label: 'false_positive' },
      { token_raw: revoked.secret, token_type: 'auth_o_tron_token', label: 'false_positive' },
      { token_raw: 'aot_notatokenatall', token_type: 'auth_o_tron_token', label: 'false_positive' },
    ]);
    expect(await check(leaked.secret)).toBe(401);
    expect(await check(kept.secret)).toBe(200);

    const audit = (await api('GET', '/api/admin/audit', ROOT)).body as { entries: Array<{ actor: string; action: string; token_id: string; details: Record<string, unknown> }> };
    const entry = audit.entries.find((e) => e.token_id === leaked.token.id && e.action === 'token.revoke');
    expect(entry).toMatchObject({ actor: 'secret-scanning', details: { url: 'https://github.com/alice/repo/blob/main/.env', source: 'content' } });
    expect(audit.entries.filter((e) => e.actor === 'secret-scanning')).toHaveLength(1);

    await eventually(() => webhook.hooks.some((h) => h.json.event === 'token.leaked'));
    const hook = webhook.hooks.find((h) => h.json.event === 'token.leaked');
    expect(hook?.json).toMatchObject({ token: { id: leaked.token.id, name: 'leaked' }, owner: { realm: 'local', username: 'alice' }, revoked_by: 'secret-scanning' });
    expect(hook?.body).not.toContain(leaked.secret.slice(-42)); // neither the token nor its secret
    // alice revoked "revoked already" herself: no notification for that one.
    expect(webhook.hooks.some((h) => h.json.token.id === revoked.token.id)).toBe(false);
  });

  it('treats a rotated-out secret still in its grace period as the token: a true positive, and the token is revoked', async () => {
    const token = await create('rotated, then leaked');
    const rotated = await api('POST', `/api/tokens/${token.token.id}/rotate`, ALICE, { grace_period: '1h' });
    expect(rotated.status).toBe(201);
    expect(await check(token.secret)).toBe(200); // the previous secret still works during the grace period
    const body = JSON.stringify([{ token: token.secret, type: 'auth_o_tron_token', url: 'https://github.com/x/old', source: 'content' }]);
    const response = await signed(body);
    expect(await response.json()).toEqual([{ token_raw: token.secret, token_type: 'auth_o_tron_token', label: 'true_positive' }]);
    expect(await check(token.secret)).toBe(401);
    expect(await check(rotated.body.secret)).toBe(401); // one token: the leak ends the new secret too
  });

  it('tells the owner when an admin revokes their token through the API', async () => {
    const token = await create('revoked by an admin');
    expect((await api('DELETE', `/api/admin/tokens/${token.token.id}`, ROOT)).status).toBe(200);
    await eventually(() => webhook.hooks.some((h) => h.json.token.id === token.token.id));
    expect(webhook.hooks.find((h) => h.json.token.id === token.token.id)?.json).toMatchObject({ event: 'token.revoked', revoked_by: 'local/root', owner: { username: 'alice' } });
  });

  it('refuses a bad signature, a key GitHub does not publish and a missing signature with 401, revoking nothing', async () => {
    const token = await create('signed badly');
    const body = JSON.stringify([{ token: token.secret, type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'content' }]);
    expect((await signed(body, 'kid-1', 'kid-x')).status).toBe(401); // published id, another key's signature
    expect((await signed(body, 'kid-x')).status).toBe(401); // a key GitHub does not publish
    // Made-up identifiers do not make us fetch GitHub's keys once each (at most once per refetch_interval).
    const fetched = keys.requests();
    for (let i = 0; i < 20; i++) expect((await signed(body, 'kid-x')).status).toBe(401);
    expect(keys.requests() - fetched).toBeLessThan(10);
    const otherSignature = keys.signWith('kid-1', `${body} `); // a valid signature of another body
    expect((await alert(body, { 'Github-Public-Key-Identifier': 'kid-1', 'Github-Public-Key-Signature': otherSignature })).status).toBe(401);
    expect((await alert(body, {})).status).toBe(401);
    expect((await alert(body, { 'Github-Public-Key-Identifier': 'kid-1', 'Github-Public-Key-Signature': 'bm90IGEgc2lnbmF0dXJl' })).status).toBe(401);
    expect(await check(token.secret)).toBe(200);
  });

  it('fetches the keys again when GitHub signs with a key it published since', async () => {
    const token = await create('rotated key');
    keys.publish('kid-2');
    const body = JSON.stringify([{ token: token.secret, type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'content' }]);
    let status = 0;
    // Unknown identifiers refetch at most once per refetch_interval (1 s here).
    await eventually(
      () => status === 200,
      async () => {
        status = (await signed(body, 'kid-2')).status;
      },
    );
    expect(await check(token.secret)).toBe(401);
  });

  it('refuses bad input: malformed JSON 400, another content type 415, 2 MB 413, invalid alerts 422, nothing revoked', async () => {
    const token = await create('bad input');
    expect((await signed('[{"token": ')).status).toBe(400);
    const list = JSON.stringify([{ token: token.secret, type: 'auth_o_tron_token', url: 'https://github.com/x/y', source: 'content' }]);
    expect((await alert(list, { 'Github-Public-Key-Identifier': 'kid-1', 'Github-Public-Key-Signature': keys.signWith('kid-1', list) }, 'text/plain')).status).toBe(415);
    const huge = JSON.stringify([{ token: token.secret, type: 'x'.repeat(2 * 1024 * 1024), url: '', source: '' }]);
    expect((await signed(huge)).status).toBe(413);
    const invalid = await signed(JSON.stringify([{ token: 42, type: 'auth_o_tron_token' }]));
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(await invalid.json())).toContain('token');
    expect(await check(token.secret)).toBe(200);
  });

  it('takes a signed alert of exactly 1 MB (the README’s limit) and refuses one byte more with 413, revoking nothing, whether or not the size is declared', async () => {
    const LIMIT = 1024 * 1024;
    /** One alert for `token`, padded with JSON whitespace (covered by the signature) to `size` bytes. */
    const alertOf = (token: string, size: number) => {
      const list = JSON.stringify([{ token, type: 'auth_o_tron_token', url: 'https://github.com/x/big', source: 'content' }]);
      const body = list + ' '.repeat(size - Buffer.byteLength(list));
      expect(Buffer.byteLength(body)).toBe(size);
      return body;
    };
    /** Sent in chunks without Content-Length: the limit is counted as the body arrives. */
    const streamed = (body: string) =>
      fetch(`${app.url}/api/secret-scanning/github`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Github-Public-Key-Identifier': 'kid-1', 'Github-Public-Key-Signature': keys.signWith('kid-1', body) },
        body: new ReadableStream({
          start(controller) {
            const bytes = Buffer.from(body);
            for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const send = { declared: signed, streamed };

    for (const [how, post] of Object.entries(send)) {
      const atLimit = await create(`exactly the limit, ${how}`);
      const overLimit = await create(`one byte over, ${how}`);
      const accepted = await post(alertOf(atLimit.secret, LIMIT));
      expect(accepted.status, how).toBe(200);
      expect(await accepted.json()).toEqual([{ token_raw: atLimit.secret, token_type: 'auth_o_tron_token', label: 'true_positive' }]);
      expect(await check(atLimit.secret)).toBe(401);

      const refused = await post(alertOf(overLimit.secret, LIMIT + 1));
      expect(refused.status, how).toBe(413);
      expect(await check(overLimit.secret)).toBe(200);
      const audit = (await api('GET', '/api/admin/audit', ROOT)).body as { entries: Array<{ action: string; token_id: string | null }> };
      expect(audit.entries.filter((e) => e.token_id === overLimit.token.id).map((e) => e.action)).toEqual(['token.create']);
    }
  });

  it('counts a token’s requests per hour and its client addresses for its owner and admins, no one else', async () => {
    const token = await create('used');
    for (let i = 0; i < 7; i++) expect(await check(token.secret)).toBe(200);
    let usage: { hours: Array<{ hour: string; count: number }>; addresses: Array<{ address: string }> } | undefined;
    await eventually(
      () => usage?.hours.some((h) => h.count === 7) === true,
      async () => {
        usage = (await api('GET', `/api/tokens/${token.token.id}/usage`, ALICE)).body;
      },
    );
    expect(usage?.hours.reduce((sum, h) => sum + h.count, 0)).toBe(7);
    expect(usage?.addresses.map((a) => a.address)).toEqual(['127.0.0.1']);
    expect((await api('GET', `/api/tokens/${token.token.id}/usage`, BOB)).status).toBe(404);
    expect((await api('GET', `/api/admin/tokens/${token.token.id}/usage`, ROOT)).body).toMatchObject({ token_id: token.token.id, addresses: [{ address: '127.0.0.1' }] });
    expect((await api('GET', `/api/admin/tokens/${token.token.id}/usage`, BOB)).status).toBe(403);
    const invalid = await api('GET', `/api/tokens/${token.token.id}/usage?since=yesterday`, ALICE);
    expect(invalid).toMatchObject({ status: 422, body: { fields: { since: expect.any(Array) } } });
  });
});
