/**
 * The full SPQR braid against libsignal-client 0.103.0, in process: the post-quantum epoch
 * advances past 1 on both sides and keeps advancing, in a long ping-pong, under loss, delay and
 * reordering across epoch changes, with either side starting, and across a long stretch in
 * which one side is offline. libsignal exposes no epoch, so its epochs are read off the SPQR
 * messages it sends and accepts (`LibsignalPeerParty.spqrEpochs`); ours come from our records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Primitives } from '@parley/primitives';
import { OurParty } from '@parley/interop-peer/our-party';
import type { PeerParty, SpqrEpochPair } from '@parley/interop-peer/peer-protocol';
import { backends } from './backends.js';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Sent {
  readonly from: PeerParty;
  readonly to: PeerParty;
  readonly text: string;
  readonly type: 2 | 3;
  readonly ciphertext: Uint8Array;
}

async function send(from: PeerParty, to: PeerParty, text: string): Promise<Sent> {
  const m = await from.encrypt(to.address, enc(text));
  return { from, to, text, ...m };
}

async function deliver(m: Sent): Promise<void> {
  assert.equal(dec(await m.to.decrypt(m.from.address, m.type, m.ciphertext)), m.text);
}

async function epochs(a: PeerParty, b: PeerParty): Promise<[SpqrEpochPair, SpqrEpochPair]> {
  const ea = await a.spqrEpochs(b.address);
  const eb = await b.spqrEpochs(a.address);
  assert.ok(ea && eb, 'both sides have a session');
  return [ea, eb];
}

/** The smallest epoch any side has sent or received. */
async function lowestEpoch(a: PeerParty, b: PeerParty): Promise<number> {
  const [ea, eb] = await epochs(a, b);
  return Math.min(ea.sending, ea.receiving, eb.sending, eb.receiving);
}

async function establish(a: PeerParty, b: PeerParty): Promise<void> {
  await a.processBundle(await b.bundle(true));
  await deliver(await send(a, b, 'hello'));
  await deliver(await send(b, a, 'hello back'));
}

/** Strict ping-pong of `rounds` round trips. */
async function pingPong(a: PeerParty, b: PeerParty, rounds: number, tag: string): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await deliver(await send(a, b, `${tag} ping ${i}`));
    await deliver(await send(b, a, `${tag} pong ${i}`));
  }
}

function pairs(p: Primitives): [string, () => [PeerParty, PeerParty]][] {
  return [
    ['ours starts', () => [OurParty.create(p), new LibsignalPeerParty()]],
    ['libsignal starts', () => [new LibsignalPeerParty(), OurParty.create(p)]],
  ];
}

/** Round trips after which both sides must be past `epoch` (libsignal ↔ libsignal: ~43 per epoch). */
const ROUNDS_PER_EPOCH = 50;

for (const p of backends) {
  for (const [who, make] of pairs(p)) {
    const name = `${p.backend}: ${who}: `;

    test(`${name}a long ping-pong advances the SPQR epoch on both sides, past 5`, async () => {
      const [a, b] = make();
      await establish(a, b);
      const seen: number[] = [];
      for (let stage = 0; stage < 6; stage++) {
        await pingPong(a, b, ROUNDS_PER_EPOCH, `s${stage}`);
        seen.push(await lowestEpoch(a, b));
      }
      // Every stage moves every side and direction forward by at least one epoch.
      for (let i = 1; i < seen.length; i++)
        assert.ok((seen[i] ?? 0) > (seen[i - 1] ?? 0), `epochs ${seen.join(',')} stall`);
      assert.ok((seen.at(-1) ?? 0) > 5, `epochs ${seen.join(',')}`);
      const [ea, eb] = await epochs(a, b);
      assert.deepEqual([ea.sending, eb.sending], [eb.receiving, ea.receiving]);
    });

    test(`${name}loss, delay and reordering across epoch changes still converge`, async () => {
      // Seeded: each step one side sends 1–4 messages; each is dropped (10%), held back for
      // up to 6 later deliveries, or delivered; held ones come out in shuffled order.
      let seed = 19;
      const next = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      const [a, b] = make();
      await establish(a, b);
      const held: { m: Sent; due: number }[] = [];
      let step = 0;
      let dropped = 0;
      let late = 0;
      for (; step < 700; step++) {
        const [from, to] = step % 2 === 0 ? [a, b] : [b, a];
        const burst = 1 + next(4);
        for (let i = 0; i < burst; i++) {
          const m = await send(from, to, `m ${step}.${i}`);
          const fate = next(10);
          if (fate === 0) dropped++;
          else if (fate < 3) held.push({ m, due: step + 1 + next(6) });
          else await deliver(m);
        }
        const ready = held.filter((h) => h.due <= step);
        for (let i = ready.length - 1; i > 0; i--) {
          const j = next(i + 1);
          [ready[i], ready[j]] = [ready[j] as (typeof ready)[0], ready[i] as (typeof ready)[0]];
        }
        for (const h of ready) {
          held.splice(held.indexOf(h), 1);
          await deliver(h.m);
          late++;
        }
      }
      for (const h of held) await deliver(h.m);
      assert.ok(dropped > 50 && late > 100, `dropped ${dropped}, late ${late}`);
      assert.ok((await lowestEpoch(a, b)) > 3, 'epochs advanced under loss and reordering');
      await pingPong(a, b, 3, 'after');
    });

    test(`${name}one side offline for a long stretch, then the braid carries on`, async () => {
      const [a, b] = make();
      await establish(a, b);
      await pingPong(a, b, 2 * ROUNDS_PER_EPOCH, 'before');
      const before = await lowestEpoch(a, b);
      assert.ok(before >= 2, `epoch ${before} before going offline`);
      // b is offline: a keeps writing (its braid cannot finish an exchange without b), and
      // b reads the backlog when it returns, oldest first except for a few swapped pairs.
      const backlog: Sent[] = [];
      for (let i = 0; i < 600; i++) backlog.push(await send(a, b, `queued ${i}`));
      for (let i = 0; i + 1 < backlog.length; i += 97) {
        const [x, y] = [backlog[i], backlog[i + 1]];
        if (x && y) [backlog[i], backlog[i + 1]] = [y, x];
      }
      for (const m of backlog) await deliver(m);
      await pingPong(a, b, 3 * ROUNDS_PER_EPOCH, 'after');
      const after = await lowestEpoch(a, b);
      assert.ok(after >= before + 2, `epoch ${before} → ${after}`);
    });
  }
}
