/**
 * Known answers for SPQR against libsignal-client 0.103.0's bytes: every message type's
 * framing, the cadence and size of every message (ours and libsignal's are the same when they
 * play the same role), and every erasure-coded chunk libsignal sends (systematic and
 * redundancy, for the header, key, ct1 and ct2 payloads) against our encoder, with the header
 * layout ρ ‖ H(ek) checked against the key libsignal sends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import { OurParty } from '@parley/interop-peer/our-party';
import type { PeerParty } from '@parley/interop-peer/peer-protocol';
import {
  encodeSpqrMessage,
  parsePreKeySignalMessage,
  parseSignalMessage,
  parseSpqrMessage,
  spqrErasure,
  SpqrMessageType,
  type SpqrMessage,
} from '@parley/protocol';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

const p = createNodePrimitives();
const enc = (s: string) => new TextEncoder().encode(s);

interface Seen {
  readonly type: 2 | 3;
  readonly length: number;
  readonly spqr: SpqrMessage;
  readonly raw: Uint8Array;
}

function spqrOf(type: 2 | 3, ciphertext: Uint8Array): Uint8Array {
  return (
    type === 3 ? parsePreKeySignalMessage(ciphertext).message : parseSignalMessage(ciphertext)
  ).pqRatchet;
}

async function send(from: PeerParty, to: PeerParty, text: string, log: Seen[]) {
  const m = await from.encrypt(to.address, enc(text));
  const raw = spqrOf(m.type, m.ciphertext);
  const spqr = parseSpqrMessage(raw);
  assert.ok(spqr, 'a V1 SPQR message');
  log.push({ type: m.type, length: m.ciphertext.length, spqr, raw });
  return m;
}

/** A ping-pong of `rounds`; returns what each side sent. */
async function conversation(a: PeerParty, b: PeerParty, rounds: number) {
  const fromA: Seen[] = [];
  const fromB: Seen[] = [];
  await a.processBundle(await b.bundle(true));
  for (let i = 0; i < rounds; i++) {
    const m = await send(a, b, `ping ${i}`, fromA);
    await b.decrypt(a.address, m.type, m.ciphertext);
    const n = await send(b, a, `pong ${i}`, fromB);
    await a.decrypt(b.address, n.type, n.ciphertext);
  }
  return { fromA, fromB };
}

const shape = (s: Seen) => ({
  message: s.type,
  length: s.length,
  epoch: s.spqr.epoch,
  index: s.spqr.index,
  spqrType: s.spqr.type,
  chunk: s.spqr.chunk?.index,
});

test('every SPQR message type: libsignal bytes parse and re-encode identically, and ours have the same cadence and sizes', async () => {
  const rounds = 200;
  const reference = await conversation(new LibsignalPeerParty(), new LibsignalPeerParty(), rounds);
  const oursFirst = await conversation(OurParty.create(p), new LibsignalPeerParty(), rounds);
  const oursSecond = await conversation(new LibsignalPeerParty(), OurParty.create(p), rounds);
  const all = [...reference.fromA, ...reference.fromB];
  for (const s of all) assert.deepEqual(encodeSpqrMessage(s.spqr), s.raw);
  const types = new Set(all.map((s) => s.spqr.type));
  assert.deepEqual(
    [...types].sort(),
    Object.values(SpqrMessageType).sort(),
    'libsignal sent every message type',
  );
  assert.ok(Math.max(...all.map((s) => s.spqr.epoch)) >= 4, 'several epochs');
  // The braid's schedule depends on no random value: in the same role, the same messages.
  assert.deepEqual(oursFirst.fromA.map(shape), reference.fromA.map(shape), 'ours as initiator');
  assert.deepEqual(oursSecond.fromB.map(shape), reference.fromB.map(shape), 'ours as responder');
});

/** Which payload a chunk belongs to: Ek and EkCt1Ack chunks share the key's encoder. */
function payloadOf(t: SpqrMessageType): string | undefined {
  switch (t) {
    case SpqrMessageType.Hdr:
      return 'hdr';
    case SpqrMessageType.Ek:
    case SpqrMessageType.EkCt1Ack:
      return 'ek';
    case SpqrMessageType.Ct1:
      return 'ct1';
    case SpqrMessageType.Ct2:
      return 'ct2';
    default:
      return undefined;
  }
}

const PAYLOAD_BYTES: Record<string, number> = { hdr: 96, ek: 1152, ct1: 960, ct2: 160 };

test('libsignal erasure-coded chunks equal our encoder, systematic and redundancy; the header is ρ ‖ H(ek)', async () => {
  // libsignal talks to us and loses a third of its messages, so it sends redundancy chunks.
  const lib = new LibsignalPeerParty();
  const ours = OurParty.create(p);
  await lib.processBundle(await ours.bundle(true));
  const sent: Seen[] = [];
  let seed = 7;
  for (let i = 0; i < 600; i++) {
    const m = await send(lib, ours, `m ${i}`, sent);
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    if (i < 2 || (seed >>> 8) % 3 !== 0) await ours.decrypt(lib.address, m.type, m.ciphertext);
    const r = await ours.encrypt(lib.address, enc(`r ${i}`));
    await lib.decrypt(ours.address, r.type, r.ciphertext);
  }
  const groups = new Map<string, spqrErasure.Chunk[]>();
  for (const s of sent) {
    const kind = payloadOf(s.spqr.type);
    if (kind === undefined || s.spqr.chunk === undefined) continue;
    const key = `${s.spqr.epoch}/${kind}`;
    groups.set(key, [...(groups.get(key) ?? []), s.spqr.chunk]);
  }
  let redundancy = 0;
  const payloads = new Map<string, Uint8Array>();
  for (const [key, chunks] of groups) {
    const kind = key.split('/')[1] ?? '';
    const length = PAYLOAD_BYTES[kind] ?? 0;
    let decoder = spqrErasure.newDecoder(length);
    for (const c of chunks) decoder = spqrErasure.addChunk(decoder, c);
    const payload = spqrErasure.decoded(decoder);
    if (payload === undefined) continue;
    payloads.set(key, payload);
    for (const c of chunks) {
      let encoder = spqrErasure.newEncoder(payload);
      for (let k = 0; k < c.index; k++) encoder = { ...encoder, next: encoder.next + 1 };
      assert.deepEqual(
        spqrErasure.nextChunk(encoder).chunk.data,
        c.data,
        `${key} chunk ${c.index}`,
      );
      if (c.index >= length / 32) redundancy++;
    }
  }
  assert.ok(redundancy > 10, `libsignal sent ${redundancy} redundancy chunks`);
  let headers = 0;
  for (const [key, hdr] of payloads) {
    const [epoch, kind] = key.split('/');
    const ek = payloads.get(`${epoch}/ek`);
    if (kind !== 'hdr' || ek === undefined) continue;
    assert.ok(p.incrementalMlKem768.encapsulationKeyMatches(hdr.subarray(0, 64), ek), key);
    headers++;
  }
  assert.ok(headers >= 2, `${headers} header/key pairs checked`);
});
