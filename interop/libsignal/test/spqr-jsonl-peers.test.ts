/**
 * The SPQR braid through the JSON-lines peers (spawned processes): a long ping-pong in which
 * `session_info` on both sides reports SPQR epochs past 2 in each direction.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerClient, peerCommand } from '@parley/interop-peer/peer-client';

const root = new URL('../../../', import.meta.url).pathname;
const ours = () => new PeerClient(...peerCommand('interop/peer/src/main.ts'), root);
const libsignal = () =>
  new PeerClient(...peerCommand('interop/libsignal/test/libsignal-peer-main.ts'), root);
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

async function deliver(
  from: PeerClient,
  fromAddress: unknown,
  to: PeerClient,
  toAddress: unknown,
  text: string,
) {
  const m = await from.ok('encrypt', { to: toAddress, plaintext_hex: hex(text) });
  const d = await to.ok('decrypt', {
    from: fromAddress,
    type: m['type'],
    ciphertext_hex: m['ciphertext_hex'],
  });
  assert.equal(d['plaintext_hex'], hex(text));
}

async function epochs(c: PeerClient, peer: unknown): Promise<[number, number]> {
  const info = await c.ok('session_info', { peer });
  assert.equal(info['exists'], true);
  return [Number(info['spqr_send_epoch']), Number(info['spqr_recv_epoch'])];
}

for (const [name, make] of [
  ['ours → libsignal', (): [PeerClient, PeerClient] => [ours(), libsignal()]],
  ['libsignal → ours', (): [PeerClient, PeerClient] => [libsignal(), ours()]],
] as const) {
  test(`JSON-lines peers, ${name}: session_info shows the SPQR epochs advancing on both sides`, async () => {
    const [a, b] = make();
    const aa = (await a.ok('init'))['address'];
    const ab = (await b.ok('init'))['address'];
    const none = await a.ok('session_info', { peer: ab });
    assert.deepEqual([none['spqr_send_epoch'], none['spqr_recv_epoch']], [null, null]);
    await a.ok('process_bundle', { bundle: (await b.ok('bundle'))['bundle'] });
    const history: number[][] = [];
    for (let stage = 0; stage < 3; stage++) {
      for (let i = 0; i < 60; i++) {
        await deliver(a, aa, b, ab, `ping ${stage}.${i}`);
        await deliver(b, ab, a, aa, `pong ${stage}.${i}`);
      }
      const [as, ar] = await epochs(a, ab);
      const [bs, br] = await epochs(b, aa);
      assert.deepEqual([as, bs], [br, ar], 'each side receives the epoch the other sends');
      history.push([as, ar, bs, br]);
    }
    const last = history.at(-1) ?? [];
    assert.ok(Math.min(...last) > 2, `epochs ${JSON.stringify(history)}`);
    assert.ok(Math.min(...last) > Math.min(...(history[0] ?? [])), 'and keep advancing');
    await Promise.all([a.close(), b.close()]);
  });
}
