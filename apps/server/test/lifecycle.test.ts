import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, drain, registerDevice, sendBody } from './client.js';
import { startServer, stopServer } from './server-process.js';

test(
  'graceful shutdown: SIGTERM during a burst of sends; every acknowledged send survives; exit code 0',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-term-'));
    const args = ['--data-dir', dir, '--no-rate-limit', '--log-level', 'warn'];
    let server = await startServer(args);
    try {
      const alice = await registerDevice(server.base, 'alice');
      const bob = await registerDevice(server.base, 'bob');
      const base = server.base;
      const sends = Array.from({ length: 200 }, (_, i) =>
        call(
          base,
          'POST',
          '/v1/messages',
          alice.auth,
          sendBody(bob, `t-${i}`, Buffer.from([i % 256])),
        ).then(
          (r) => (r.status === 200 ? `t-${i}` : undefined),
          () => undefined,
        ),
      );
      await new Promise((r) => setTimeout(r, 30));
      const code = await stopServer(server, 'SIGTERM');
      const acked = (await Promise.all(sends)).filter((id) => id !== undefined);
      assert.equal(code, 0);
      assert.ok(acked.length > 0, 'some sends completed before shutdown');
      server = await startServer(args);
      const delivered = new Set((await drain(server.base, bob)).map((m) => m.clientMessageId));
      for (const id of acked) assert.ok(delivered.has(id), `${id} acknowledged and kept`);
    } finally {
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('TLS: with a certificate and key the relay serves HTTPS', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = await startServer(['--storage', 'memory', '--tls-cert', cert, '--tls-key', key]);
  try {
    assert.match(server.base, /^https:/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${server.base}/health`, { ca: readFileSync(cert) }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(JSON.parse(body), { status: 'ok', storage: 'memory' });
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad configuration exits with code 2 and the usage', { timeout: 30_000 }, async () => {
  await assert.rejects(startServer(['--storage', 'nope']), /must be one of/);
});
