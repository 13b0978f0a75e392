/** Ours ↔ libsignal through the JSON-lines peers (spawned processes, the same request shapes). */
import { test } from 'node:test';
import { PeerClient, peerCommand } from '@parley/interop-peer/peer-client';
import { converse } from '../../peer/test/conversation.js';

const root = new URL('../../../', import.meta.url).pathname;
const ours = () => new PeerClient(...peerCommand('interop/peer/src/main.ts'), root);
const libsignal = () =>
  new PeerClient(...peerCommand('interop/libsignal/test/libsignal-peer-main.ts'), root);

for (const [name, make] of [
  ['ours → libsignal', (): [PeerClient, PeerClient] => [ours(), libsignal()]],
  ['libsignal → ours', (): [PeerClient, PeerClient] => [libsignal(), ours()]],
  ['libsignal → libsignal (control)', (): [PeerClient, PeerClient] => [libsignal(), libsignal()]],
] as const) {
  test(`JSON-lines peers: ${name}`, async () => {
    for (const oneTime of [true, false]) {
      const [a, b] = make();
      await converse(a, b, oneTime);
      await Promise.all([a.close(), b.close()]);
    }
  });
}
