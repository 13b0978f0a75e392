import { utf8Encode, type TlsReader, type TlsWriter } from '@parley/bytes';
import { MlsError } from './errors.js';
import { MAX_FORWARD_RATCHET_STEPS, MAX_LEAVES, MAX_RETAINED_RATCHET_KEYS } from './limits.js';
import type { MlsCrypto } from './mls-crypto.js';
import {
  isLeaf,
  leafToNode,
  left,
  right,
  nodeWidth,
  root,
  inSubtree,
  type LeafIndex,
  type NodeIndex,
} from './tree-math.js';

/** Which of a leaf's two hash ratchets (RFC 9420 §9.1). */
export type RatchetType = 'handshake' | 'application';

/** An AEAD key and nonce for one generation of one ratchet. */
export interface RatchetKey {
  readonly generation: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

interface HashRatchet {
  /** The next generation whose key has not been derived. */
  readonly generation: number;
  /** secret_[generation]. */
  readonly secret: Uint8Array;
  /** Keys of skipped generations kept for out-of-order messages, oldest first. */
  readonly retained: ReadonlyMap<number, RatchetKey>;
}

interface LeafRatchets {
  readonly handshake: HashRatchet;
  readonly application: HashRatchet;
}

const LEFT = utf8Encode('left');
const RIGHT = utf8Encode('right');
const EMPTY = new Uint8Array(0);

/**
 * The secret tree of one epoch (RFC 9420 §9), immutable: every operation returns the key it
 * derived and the tree that remains, so the caller can drop the new tree if the message then
 * fails to authenticate (compute, then commit). Secrets are derived lazily from the root down,
 * and a node's secret is forgotten once its children's are derived (§9.2's deletion schedule).
 */
export class SecretTree {
  private constructor(
    private readonly crypto: MlsCrypto,
    /** Number of leaves (a power of two, as the ratchet tree). */
    readonly leafCount: number,
    private readonly nodeSecrets: ReadonlyMap<number, Uint8Array>,
    private readonly ratchets: ReadonlyMap<number, LeafRatchets>,
  ) {}

  /** The tree whose root secret is the epoch's `encryption_secret`. */
  static create(crypto: MlsCrypto, encryptionSecret: Uint8Array, leafCount: number): SecretTree {
    const r = root(leafCount);
    return new SecretTree(crypto, leafCount, new Map([[r, encryptionSecret]]), new Map());
  }

  /**
   * Writes the tree's remaining secrets for storage (part of the group-state format):
   * `uint32 leaf_count; NodeSecret node_secrets<V>; LeafRatchets ratchets<V>`, each ratchet as
   * its next generation, its secret and its retained keys.
   */
  writeTo(w: TlsWriter): void {
    w.uint32(this.leafCount);
    w.vector(
      'varint',
      [...this.nodeSecrets].sort(([a], [b]) => a - b),
      (nw, [node, secret]) => {
        nw.uint32(node);
        nw.opaque('varint', secret);
      },
    );
    w.vector(
      'varint',
      [...this.ratchets].sort(([a], [b]) => a - b),
      (rw, [leaf, r]) => {
        rw.uint32(leaf);
        writeRatchet(rw, r.handshake);
        writeRatchet(rw, r.application);
      },
    );
  }

  /** Reads what {@link SecretTree.writeTo} wrote, checking every index, length and bound. */
  static readFrom(crypto: MlsCrypto, r: TlsReader): SecretTree {
    const leafCount = r.uint32();
    if (leafCount < 1 || leafCount > MAX_LEAVES || (leafCount & (leafCount - 1)) !== 0) {
      throw new MlsError('INVALID_ENCODING', 'stored secret tree has an invalid size');
    }
    const width = nodeWidth(leafCount);
    const nodeSecrets = new Map<number, Uint8Array>();
    for (const { node, secret } of r.vector('varint', (nr) => ({
      node: nr.uint32(),
      secret: nr.opaque('varint'),
    }))) {
      if (node >= width || nodeSecrets.has(node) || secret.length !== crypto.hashLength) {
        throw new MlsError('INVALID_ENCODING', 'stored secret tree node is invalid');
      }
      nodeSecrets.set(node, secret);
    }
    const ratchets = new Map<number, LeafRatchets>();
    for (const { leaf, handshake, application } of r.vector('varint', (rr) => ({
      leaf: rr.uint32(),
      handshake: readRatchet(crypto, rr),
      application: readRatchet(crypto, rr),
    }))) {
      if (leaf >= leafCount || ratchets.has(leaf)) {
        throw new MlsError('INVALID_ENCODING', 'stored secret tree ratchet is invalid');
      }
      ratchets.set(leaf, { handshake, application });
    }
    return new SecretTree(crypto, leafCount, nodeSecrets, ratchets);
  }

  /**
   * The key and nonce of `generation` in `leaf`'s `type` ratchet, for a received message, and
   * the tree without them. Generations ahead are reached by ratcheting forward (at most
   * `MAX_FORWARD_RATCHET_STEPS`), keeping the skipped keys; a generation already used or
   * dropped throws `DECRYPT_FAILED`.
   */
  keyFor(
    leaf: LeafIndex,
    type: RatchetType,
    generation: number,
  ): { readonly key: RatchetKey; readonly tree: SecretTree } {
    const { tree, ratchets } = this.leafRatchets(leaf);
    const ratchet = ratchets[type];
    let next: HashRatchet;
    let key: RatchetKey;
    if (generation < ratchet.generation) {
      const kept = ratchet.retained.get(generation);
      if (kept === undefined) throw new MlsError('DECRYPT_FAILED', 'message key unavailable');
      const retained = new Map(ratchet.retained);
      retained.delete(generation);
      next = { ...ratchet, retained };
      key = kept;
    } else {
      if (generation - ratchet.generation > MAX_FORWARD_RATCHET_STEPS) {
        throw new MlsError('DECRYPT_FAILED', 'message key unavailable');
      }
      const retained = new Map(ratchet.retained);
      let secret = ratchet.secret;
      let current = ratchet.generation;
      for (; current < generation; current++) {
        retained.set(current, this.ratchetKey(secret, current));
        if (retained.size > MAX_RETAINED_RATCHET_KEYS) {
          const oldest = retained.keys().next();
          if (oldest.done !== true) retained.delete(oldest.value);
        }
        secret = this.nextSecret(secret, current);
      }
      key = this.ratchetKey(secret, generation);
      next = { generation: generation + 1, secret: this.nextSecret(secret, generation), retained };
    }
    const updated = new Map(tree.ratchets);
    updated.set(leaf, { ...ratchets, [type]: next });
    return { key, tree: new SecretTree(this.crypto, this.leafCount, tree.nodeSecrets, updated) };
  }

  /** The next unused key of `leaf`'s `type` ratchet, for sending, and the tree without it. */
  nextKey(
    leaf: LeafIndex,
    type: RatchetType,
  ): { readonly key: RatchetKey; readonly tree: SecretTree } {
    const { tree, ratchets } = this.leafRatchets(leaf);
    return tree.keyFor(leaf, type, ratchets[type].generation);
  }

  private ratchetKey(secret: Uint8Array, generation: number): RatchetKey {
    const { aeadKeyLength, aeadNonceLength } = this.crypto.suite;
    return {
      generation,
      key: this.crypto.deriveTreeSecret(secret, 'key', generation, aeadKeyLength),
      nonce: this.crypto.deriveTreeSecret(secret, 'nonce', generation, aeadNonceLength),
    };
  }

  private nextSecret(secret: Uint8Array, generation: number): Uint8Array {
    return this.crypto.deriveTreeSecret(secret, 'secret', generation, this.crypto.hashLength);
  }

  /** The leaf's ratchets, deriving them (and the tree that remains) on first use. */
  private leafRatchets(leaf: LeafIndex): { tree: SecretTree; ratchets: LeafRatchets } {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.leafCount) {
      throw new MlsError(
        'MISUSE',
        `leaf ${leaf} outside a secret tree of ${this.leafCount} leaves`,
      );
    }
    const existing = this.ratchets.get(leaf);
    if (existing !== undefined) return { tree: this, ratchets: existing };
    const target = leafToNode(leaf);
    let node = root(this.leafCount);
    while (!this.nodeSecrets.has(node)) {
      if (isLeaf(node)) throw new MlsError('DECRYPT_FAILED', 'message key unavailable');
      node = inSubtree(target, left(node)) ? left(node) : right(node);
    }
    const secrets = new Map(this.nodeSecrets);
    let secret = secrets.get(node) ?? EMPTY;
    secrets.delete(node);
    while (node !== target) {
      const l: NodeIndex = left(node);
      const r: NodeIndex = right(node);
      const leftSecret = this.crypto.expandWithLabel(secret, 'tree', LEFT, this.crypto.hashLength);
      const rightSecret = this.crypto.expandWithLabel(
        secret,
        'tree',
        RIGHT,
        this.crypto.hashLength,
      );
      if (inSubtree(target, l)) {
        secrets.set(r, rightSecret);
        node = l;
        secret = leftSecret;
      } else {
        secrets.set(l, leftSecret);
        node = r;
        secret = rightSecret;
      }
    }
    const start = (label: string): HashRatchet => ({
      generation: 0,
      secret: this.crypto.expandWithLabel(secret, label, EMPTY, this.crypto.hashLength),
      retained: new Map(),
    });
    const ratchets = { handshake: start('handshake'), application: start('application') };
    const updated = new Map(this.ratchets);
    updated.set(leaf, ratchets);
    return { tree: new SecretTree(this.crypto, this.leafCount, secrets, updated), ratchets };
  }
}

/**
 * sender_data_key and sender_data_nonce (RFC 9420 §6.3.2): derived from the sender data secret
 * and the first Nh bytes of the content ciphertext (all of it if shorter).
 */
export function senderDataKeyNonce(
  crypto: MlsCrypto,
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): { readonly key: Uint8Array; readonly nonce: Uint8Array } {
  const sample = ciphertext.subarray(0, crypto.hashLength);
  return {
    key: crypto.expandWithLabel(senderDataSecret, 'key', sample, crypto.suite.aeadKeyLength),
    nonce: crypto.expandWithLabel(senderDataSecret, 'nonce', sample, crypto.suite.aeadNonceLength),
  };
}

function writeRatchet(w: TlsWriter, r: HashRatchet): void {
  w.uint32(r.generation);
  w.opaque('varint', r.secret);
  w.vector('varint', [...r.retained.values()], (kw, k) => {
    kw.uint32(k.generation);
    kw.opaque('varint', k.key);
    kw.opaque('varint', k.nonce);
  });
}

function readRatchet(crypto: MlsCrypto, r: TlsReader): HashRatchet {
  const generation = r.uint32();
  const secret = r.opaque('varint');
  const keys = r.vector('varint', (kr) => ({
    generation: kr.uint32(),
    key: kr.opaque('varint'),
    nonce: kr.opaque('varint'),
  }));
  const { aeadKeyLength, aeadNonceLength } = crypto.suite;
  if (secret.length !== crypto.hashLength || keys.length > MAX_RETAINED_RATCHET_KEYS) {
    throw new MlsError('INVALID_ENCODING', 'stored ratchet is invalid');
  }
  const retained = new Map<number, RatchetKey>();
  for (const k of keys) {
    if (
      k.generation >= generation ||
      retained.has(k.generation) ||
      k.key.length !== aeadKeyLength ||
      k.nonce.length !== aeadNonceLength
    ) {
      throw new MlsError('INVALID_ENCODING', 'stored ratchet key is invalid');
    }
    retained.set(k.generation, k);
  }
  return { generation, secret, retained };
}
