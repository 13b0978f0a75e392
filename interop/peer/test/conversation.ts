/** A conversation between two JSON-lines peers, checked at every step (shared by the tests). */
import assert from 'node:assert/strict';
import type { PeerClient } from '../src/peer-client.js';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

async function deliver(
  from: PeerClient,
  fromAddress: unknown,
  to: PeerClient,
  toAddress: unknown,
  text: string,
): Promise<number> {
  const m = await from.ok('encrypt', { to: toAddress, plaintext_hex: hex(text) });
  const d = await to.ok('decrypt', {
    from: fromAddress,
    type: m['type'],
    ciphertext_hex: m['ciphertext_hex'],
  });
  assert.equal(d['plaintext_hex'], hex(text));
  return Number(m['type']);
}

/** `a` starts from `b`'s bundle; PreKey messages out of order, then a 20-message ping-pong. */
export async function converse(a: PeerClient, b: PeerClient, oneTime: boolean): Promise<void> {
  const ia = await a.ok('init');
  const ib = await b.ok('init');
  const [aa, ab] = [ia['address'], ib['address']];
  const bundle = await b.ok('bundle', { one_time: oneTime });
  assert.equal((bundle['bundle'] as Record<string, unknown>)['pre_key'] === null, !oneTime);
  assert.deepEqual((await a.ok('session_info', { peer: ab }))['exists'], false);
  await a.ok('process_bundle', { bundle: bundle['bundle'] });
  assert.deepEqual((await a.ok('session_info', { peer: ab }))['exists'], true);
  const m1 = await a.ok('encrypt', { to: ab, plaintext_hex: hex('one') });
  const m2 = await a.ok('encrypt', { to: ab, plaintext_hex: hex('two') });
  assert.equal(m1['type'], 3);
  for (const m of [m2, m1]) {
    await b.ok('decrypt', { from: aa, type: m['type'], ciphertext_hex: m['ciphertext_hex'] });
  }
  const replay = await b.request('decrypt', {
    from: aa,
    type: m2['type'],
    ciphertext_hex: m2['ciphertext_hex'],
  });
  assert.equal(replay.ok, false);
  assert.equal(typeof replay['error_code'], 'string');
  assert.equal(await deliver(b, ab, a, aa, 'reply'), 2);
  for (let i = 0; i < 20; i++) {
    if (i % 2 === 0) assert.equal(await deliver(a, aa, b, ab, `ping ${i}`), 2);
    else assert.equal(await deliver(b, ab, a, aa, `pong ${i}`), 2);
  }
}
