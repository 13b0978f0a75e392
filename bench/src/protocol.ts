/**
 * The Signal protocol end to end, ours (node and noble backends) against libsignal-client
 * 0.103.0 in the same run: 100-byte messages, both sides loading and storing their serialized
 * session record on every operation (both in-memory stores keep records serialized).
 */
import type { Primitives } from '@parley/primitives';
import type { PeerParty, WireBundle } from '@parley/interop-peer/peer-protocol';
import { OurParty } from '@parley/interop-peer/our-party';
import { LibsignalPeerParty } from '@parley/interop-libsignal/peer-party';
import type { Benchmark } from './harness.js';

const PAYLOAD = new Uint8Array(100).fill(0x61);
/**
 * Round trips per run of the long ping-pong row: 200 messages, a little more than two SPQR
 * epochs (an ML-KEM-768 exchange completes every ~87 messages in strict ping-pong), so every
 * run pays for key generation, both encapsulation halves, decapsulation and the chunk coding.
 */
const LONG_ROUNDS = 100;

interface Side {
  readonly subject: string;
  /** A new party; `lastResort` keeps the Kyber prekey usable by every initiator. */
  make(): PeerParty;
  bundle(party: PeerParty): Promise<WireBundle>;
}

async function exchange(from: PeerParty, to: PeerParty): Promise<void> {
  const m = await from.encrypt(to.address, PAYLOAD);
  await to.decrypt(from.address, m.type, m.ciphertext);
}

async function established(side: Side): Promise<[PeerParty, PeerParty]> {
  const a = side.make();
  const b = side.make();
  await a.processBundle(await side.bundle(b));
  await exchange(a, b);
  await exchange(b, a);
  return [a, b];
}

function benchmarks(side: Side): Benchmark[] {
  let oneWay: Promise<[PeerParty, PeerParty]> | undefined;
  let pingPong: Promise<[PeerParty, PeerParty]> | undefined;
  let longPingPong: Promise<[PeerParty, PeerParty]> | undefined;
  let turn = false;
  let responder: { party: PeerParty; bundle: WireBundle } | undefined;
  return [
    {
      group: 'protocol encrypt+decrypt one way',
      subject: side.subject,
      run: async () => {
        oneWay ??= established(side);
        const [a, b] = await oneWay;
        await exchange(a, b);
      },
    },
    {
      group: 'protocol encrypt+decrypt ping-pong',
      subject: side.subject,
      run: async () => {
        pingPong ??= established(side);
        const [a, b] = await pingPong;
        turn = !turn;
        await (turn ? exchange(a, b) : exchange(b, a));
      },
    },
    {
      group: 'protocol ping-pong ×200 (SPQR braid)',
      subject: side.subject,
      run: async () => {
        longPingPong ??= established(side);
        const [a, b] = await longPingPong;
        for (let i = 0; i < LONG_ROUNDS; i++) {
          await exchange(a, b);
          await exchange(b, a);
        }
      },
    },
    {
      // A new initiator each time: processPreKeyBundle, the first encrypt, the PreKey decrypt.
      // `make()` costs the same on both sides: one identity key pair (libsignal's
      // IdentityKeyPair.generate, our generateIdentityKeyPair), a name and empty stores; the
      // responder and its bundle (signed and Kyber prekeys) are made once, outside the loop.
      group: 'protocol session setup',
      subject: side.subject,
      run: async () => {
        if (responder === undefined) {
          const party = side.make();
          responder = { party, bundle: await side.bundle(party) };
        }
        const alice = side.make();
        await alice.processBundle(responder.bundle);
        await exchange(alice, responder.party);
      },
    },
  ];
}

function ours(p: Primitives): Side {
  return {
    subject: `ours-${p.backend}`,
    make: () => OurParty.create(p),
    bundle: (party) =>
      party instanceof OurParty ? party.bundle(false, true) : party.bundle(false),
  };
}

const libsignal: Side = {
  subject: 'libsignal',
  make: () => new LibsignalPeerParty(),
  // libsignal's test store never deletes a used Kyber prekey, so it acts as a last-resort key.
  bundle: (party) => party.bundle(false),
};

/** libsignal first in each group, so that ratios read "ours / libsignal". */
export function protocolBenchmarks(node: Primitives, noble: Primitives): Benchmark[] {
  const sides = [libsignal, ours(node), ours(noble)].map(benchmarks);
  const groups = sides[0]?.map((b) => b.group) ?? [];
  return groups.flatMap((g) => sides.flatMap((list) => list.filter((b) => b.group === g)));
}
