/**
 * Sealed sends against a real server process with its default rate limits: a wrong or revoked
 * delivery token is refused (401 `DELIVERY_TOKEN_INVALID`) and nothing is queued; a flood from
 * one address is cut off at the per-address burst, while a sender at another loopback address
 * still gets through, and every accepted envelope is delivered.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { b64, call, registerDevice } from './client.js';
import { startServer, stopServer } from './server-process.js';

/** POSTs JSON from a chosen loopback source address (the relay keys its limits by it). */
function postFrom(
  base: string,
  localAddress: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

test(
  'sealed sends on a real server: wrong and revoked tokens refused, a flood limited, others served',
  { timeout: 120_000 },
  async () => {
    const server = await startServer(['--storage', 'memory', '--kt', 'off']);
    try {
      const bob = await registerDevice(server.base, `bob${randomBytes(4).toString('hex')}`);
      const token = b64(randomBytes(32));
      const put = await call(server.base, 'PUT', '/v1/sealed-sender/delivery-token', bob.auth, {
        deliveryToken: token,
      });
      assert.equal(put.status, 204);
      const sealed = (from: string, deliveryToken: string, i: number) =>
        postFrom(server.base, from, '/v1/sealed-sender/messages', {
          accountId: bob.accountId,
          deliveryToken,
          clientMessageId: `m${i}`,
          destinations: [
            {
              deviceId: 1,
              registrationId: bob.registrationId,
              content: b64(Buffer.from(`sealed ${i}`)),
            },
          ],
        });
      const wrong = await sealed('127.0.0.9', b64(randomBytes(32)), 0);
      assert.equal(wrong.status, 401);
      assert.equal(
        (JSON.parse(wrong.body) as { error: { code: string } }).error.code,
        'DELIVERY_TOKEN_INVALID',
      );

      const statuses: number[] = [];
      for (let i = 0; i < 80; i++) statuses.push((await sealed('127.0.0.1', token, i)).status);
      const accepted = statuses.filter((s) => s === 200).length;
      const limited = statuses.filter((s) => s === 429).length;
      // The burst (RATE_LIMIT_SEALED_IP_BURST) and what refilled meanwhile; the rest refused.
      assert.ok(accepted >= 50, `the burst is served (${accepted})`);
      assert.equal(accepted + limited, statuses.length);
      assert.ok(limited >= 10, `the flood is cut off (${limited} refused)`);
      const other = await sealed('127.0.0.2', token, 1_000);
      assert.equal(other.status, 200, 'another address still gets through');

      const revoke = await call(
        server.base,
        'DELETE',
        '/v1/sealed-sender/delivery-token',
        bob.auth,
      );
      assert.equal(revoke.status, 204);
      const revoked = await sealed('127.0.0.3', token, 2_000);
      assert.equal(revoked.status, 401);

      let delivered = 0;
      for (;;) {
        const page = (await (await call(server.base, 'GET', '/v1/messages', bob.auth)).json()) as {
          messages: { guid: string; senderAccountId: string }[];
          more: boolean;
        };
        delivered += page.messages.length;
        assert.ok(page.messages.every((m) => m.senderAccountId === ''));
        if (page.messages.length > 0)
          await call(server.base, 'POST', '/v1/messages/acks', bob.auth, {
            guids: page.messages.map((m) => m.guid),
          });
        if (!page.more) break;
      }
      assert.equal(delivered, accepted + 1, 'every accepted envelope, nothing refused');
    } finally {
      assert.equal(await stopServer(server), 0, 'graceful exit');
    }
  },
);
