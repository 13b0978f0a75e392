// Two MLS implementations behind one interface that speaks only bytes (encoded MLSMessages), so
// every interop test can put either implementation on either side: ours (`@parley/mls` over
// node:crypto) and ts-mls 1.6.4. Suite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519) unless a
// party is made for suite 2 (MLS_128_DHKEMP256_AES128GCM_SHA256_P256, our curve-suites entry).
import assert from 'node:assert/strict';
import { ECDH } from 'node:crypto';
import { toHex, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  CredentialType,
  MlsCrypto,
  ProposalType,
  createCommit as oursCreateCommit,
  createGroup as oursCreateGroup,
  createKeyPackage,
  decodeMlsMessage as oursDecode,
  decryptApplicationMessage,
  encodeMlsMessage as oursEncode,
  encryptApplicationMessage,
  groupStateFromJoin,
  joinFromWelcome,
  leafIndex,
  processCommit,
  WireFormat,
  type CreatedKeyPackage,
  type GroupState,
  type MlsMessage,
  type Proposal as OursProposal,
  type ValidationPolicy,
} from '@parley/mls';
import { anyCipherSuite } from '@parley/mls/curve-suites';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  createApplicationMessage,
  createCommit as tsCreateCommit,
  createGroup as tsCreateGroup,
  decodeMlsMessage as tsDecode,
  defaultCapabilities as tsDefaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage as tsEncode,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  processMessage,
  acceptAll,
  type CiphersuiteImpl,
  type ClientState,
  type KeyPackage as TsKeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal as TsProposal,
} from 'ts-mls';

/** The cipher suite the interop tests run unless they name another (RFC 9420 §17.1). */
export const SUITE_ID = 1;
/** The suites a party can be made for, with ts-mls's name of each. */
const SUITE_NAMES = {
  1: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  2: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
} as const;
export type InteropSuite = keyof typeof SUITE_NAMES;
/** KeyPackage validity for our side: from 0 to far in the future (seconds). */
const OUR_LIFETIME = { notBefore: 0n, notAfter: 1n << 40n };
const MS_PER_SECOND = 1000n;

/** A commit's bytes and, when it adds members, the Welcome's bytes (both MLSMessages). */
export interface CommitBytes {
  readonly commit: Uint8Array;
  readonly welcome?: Uint8Array;
}

/** What a commit changes: members to add (their KeyPackage MLSMessages) and to remove (names). */
export interface Change {
  readonly add?: readonly Uint8Array[];
  readonly remove?: readonly string[];
  /** Send the commit as a PrivateMessage (default: PublicMessage). */
  readonly privateMessage?: boolean;
}

/** One member of one group, whichever implementation runs it. */
export interface Party {
  readonly name: string;
  readonly implementation: 'parley' | 'ts-mls';
  /** A fresh KeyPackage, as an MLSMessage; its private keys are kept for `join`. */
  keyPackage(): Promise<Uint8Array>;
  create(groupId: Uint8Array): Promise<void>;
  /** Creates a commit (with an UpdatePath) and adopts the next epoch. */
  commit(change: Change): Promise<CommitBytes>;
  join(welcome: Uint8Array): Promise<void>;
  process(commit: Uint8Array): Promise<void>;
  encrypt(text: string): Promise<Uint8Array>;
  decrypt(message: Uint8Array): Promise<string>;
  epoch(): bigint;
  epochAuthenticator(): Uint8Array;
  /** Member names in leaf order, from the ratchet tree (basic credentials). */
  roster(): string[];
  /** The leaf index of the member with this name. */
  leafOf(name: string): number;
}

const nodePrimitives = createNodePrimitives();
const ourCryptos = new Map<InteropSuite, MlsCrypto>();
function ourCryptoFor(suite: InteropSuite): MlsCrypto {
  let crypto = ourCryptos.get(suite);
  if (crypto === undefined) {
    crypto = new MlsCrypto(nodePrimitives, anyCipherSuite(suite));
    ourCryptos.set(suite, crypto);
  }
  return crypto;
}

/** A signature private key of the suite's algorithm. */
function ourSignatureKey(crypto: MlsCrypto): Uint8Array {
  const algorithm = crypto.suite.signature;
  if (algorithm === 'ed25519') return crypto.primitives.ed25519.generateKeyPair().privateKey;
  const curves = crypto.primitives.mlsCurves ?? assert.fail('node:crypto provides the MLS curves');
  return curves.signature[algorithm].generateKeyPair().privateKey;
}
const ourPolicy: ValidationPolicy = {
  authenticate: (c) => c.credentialType === CredentialType.basic,
  now: BigInt(Date.now()) / MS_PER_SECOND,
};
const noPsks = (): undefined => undefined;

/** Runs synchronous work as a promise, so a throw becomes a rejection like ts-mls's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

class OurParty implements Party {
  readonly implementation = 'parley' as const;
  private readonly ourCrypto: MlsCrypto;
  private readonly signaturePrivateKey: Uint8Array;
  private pending: CreatedKeyPackage | undefined;
  private state: GroupState | undefined;

  constructor(
    readonly name: string,
    suite: InteropSuite,
  ) {
    this.ourCrypto = ourCryptoFor(suite);
    this.signaturePrivateKey = ourSignatureKey(this.ourCrypto);
  }

  private get credential() {
    return { credentialType: CredentialType.basic, identity: utf8Encode(this.name) } as const;
  }

  private current(): GroupState {
    assert.ok(this.state !== undefined, `${this.name} is not in a group`);
    return this.state;
  }

  keyPackage(): Promise<Uint8Array> {
    return settle(() => {
      this.pending = createKeyPackage(this.ourCrypto, {
        credential: this.credential,
        signaturePrivateKey: this.signaturePrivateKey,
        lifetime: OUR_LIFETIME,
      });
      return oursEncode({ wireFormat: WireFormat.keyPackage, keyPackage: this.pending.keyPackage });
    });
  }

  create(groupId: Uint8Array): Promise<void> {
    return settle(() => {
      this.state = oursCreateGroup(this.ourCrypto, {
        groupId,
        credential: this.credential,
        signaturePrivateKey: this.signaturePrivateKey,
        lifetime: OUR_LIFETIME,
      });
    });
  }

  commit(change: Change): Promise<CommitBytes> {
    return settle(() => {
      const state = this.current();
      const proposals: OursProposal[] = [];
      for (const bytes of change.add ?? []) {
        const m = oursDecode(bytes);
        assert.ok(m.wireFormat === WireFormat.keyPackage, 'expected a KeyPackage');
        proposals.push({ proposalType: ProposalType.add, keyPackage: m.keyPackage });
      }
      for (const name of change.remove ?? []) {
        proposals.push({
          proposalType: ProposalType.remove,
          removed: leafIndex(this.leafOf(name)),
        });
      }
      const created = oursCreateCommit(this.ourCrypto, state, {
        signaturePrivateKey: this.signaturePrivateKey,
        proposals,
        privateMessage: change.privateMessage ?? false,
        psks: noPsks,
        policy: ourPolicy,
      });
      this.state = created.state;
      const welcome =
        created.welcome === undefined
          ? undefined
          : oursEncode({ wireFormat: WireFormat.welcome, welcome: created.welcome });
      return {
        commit: oursEncode(created.message),
        ...(welcome === undefined ? {} : { welcome }),
      };
    });
  }

  join(welcome: Uint8Array): Promise<void> {
    return settle(() => {
      const m = oursDecode(welcome);
      assert.ok(m.wireFormat === WireFormat.welcome, 'expected a Welcome');
      assert.ok(this.pending !== undefined, `${this.name} has no KeyPackage`);
      const joined = joinFromWelcome(this.ourCrypto, {
        welcome: m.welcome,
        keyPackage: this.pending.keyPackage,
        initPrivateKey: this.pending.initPrivateKey,
        encryptionPrivateKey: this.pending.encryptionPrivateKey,
        psks: noPsks,
        policy: ourPolicy,
      });
      this.state = groupStateFromJoin(this.ourCrypto, joined);
      this.pending = undefined;
    });
  }

  process(commit: Uint8Array): Promise<void> {
    return settle(() => {
      this.state = processCommit(this.ourCrypto, this.current(), oursDecode(commit), {
        psks: noPsks,
        policy: ourPolicy,
      });
    });
  }

  encrypt(text: string): Promise<Uint8Array> {
    return settle(() => {
      const sent = encryptApplicationMessage(
        this.ourCrypto,
        this.current(),
        utf8Encode(text),
        this.signaturePrivateKey,
      );
      this.state = sent.state;
      return oursEncode(sent.message);
    });
  }

  decrypt(message: Uint8Array): Promise<string> {
    return settle(() => {
      const decoded: MlsMessage = oursDecode(message);
      const got = decryptApplicationMessage(this.ourCrypto, this.current(), decoded);
      this.state = got.state;
      return utf8Decode(got.data);
    });
  }

  epoch(): bigint {
    return this.current().groupContext.epoch;
  }

  epochAuthenticator(): Uint8Array {
    return this.current().secrets.epochAuthenticator;
  }

  private leaves(): Map<number, string> {
    const tree = this.current().tree;
    const names = new Map<number, string>();
    for (let i = 0; i < tree.leafCount; i++) {
      const leaf = tree.leaf(leafIndex(i));
      if (leaf?.credential.credentialType === CredentialType.basic) {
        names.set(i, utf8Decode(leaf.credential.identity));
      }
    }
    return names;
  }

  roster(): string[] {
    return [...this.leaves().values()];
  }

  leafOf(name: string): number {
    return findLeaf(this.leaves(), name);
  }
}

/**
 * ts-mls 1.6.4 makes P-256 signature public keys in SEC1 compressed form (33 bytes); RFC 9420's
 * test vectors and our side use the uncompressed form (65 bytes), and we refuse a leaf with a
 * compressed key. For suite 2 the interop runs ts-mls with its own keys written uncompressed
 * (its signing and verification are unchanged: noble reads both forms); `stockTsMlsSuite` is
 * ts-mls as shipped, for the test that shows the refusal.
 */
function uncompressedSignatureKeys(impl: CiphersuiteImpl): CiphersuiteImpl {
  const signature = impl.signature;
  return {
    ...impl,
    signature: {
      sign: (key, message) => signature.sign(key, message),
      verify: (key, message, sig) => signature.verify(key, message, sig),
      keygen: async () => {
        const { signKey, publicKey } = await signature.keygen();
        const point = ECDH.convertKey(
          publicKey,
          'prime256v1',
          undefined,
          undefined,
          'uncompressed',
        );
        return { signKey, publicKey: new Uint8Array(point as Buffer) };
      },
    },
  };
}

export function stockTsMlsSuite(suite: InteropSuite): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAMES[suite]));
}

/** A KeyPackage MLSMessage from ts-mls as shipped (for suite 2: a compressed signature key). */
export async function stockTsMlsKeyPackage(name: string, suite: InteropSuite): Promise<Uint8Array> {
  const { publicPackage } = await generateKeyPackage(
    { credentialType: 'basic', identity: utf8Encode(name) },
    tsDefaultCapabilities(),
    defaultLifetime,
    [],
    await stockTsMlsSuite(suite),
  );
  return tsEncode({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage });
}

const tsImpls = new Map<InteropSuite, Promise<CiphersuiteImpl>>();
function tsSuiteFor(suite: InteropSuite): Promise<CiphersuiteImpl> {
  let impl = tsImpls.get(suite);
  if (impl === undefined) {
    impl = stockTsMlsSuite(suite).then((i) => (suite === 2 ? uncompressedSignatureKeys(i) : i));
    tsImpls.set(suite, impl);
  }
  return impl;
}

function tsDecodeMessage(bytes: Uint8Array): MLSMessage {
  const decoded = tsDecode(bytes, 0);
  assert.ok(decoded !== undefined, 'ts-mls could not decode the message');
  return decoded[0];
}

class TsParty implements Party {
  readonly implementation = 'ts-mls' as const;
  private pending: { publicPackage: TsKeyPackage; privatePackage: PrivateKeyPackage } | undefined;
  private state: ClientState | undefined;

  constructor(
    readonly name: string,
    private readonly suite: InteropSuite,
  ) {}

  private tsSuite(): Promise<CiphersuiteImpl> {
    return tsSuiteFor(this.suite);
  }

  private current(): ClientState {
    assert.ok(this.state !== undefined, `${this.name} is not in a group`);
    return this.state;
  }

  private async fresh() {
    return generateKeyPackage(
      { credentialType: 'basic', identity: utf8Encode(this.name) },
      tsDefaultCapabilities(),
      defaultLifetime,
      [],
      await this.tsSuite(),
    );
  }

  async keyPackage(): Promise<Uint8Array> {
    this.pending = await this.fresh();
    return tsEncode({
      version: 'mls10',
      wireformat: 'mls_key_package',
      keyPackage: this.pending.publicPackage,
    });
  }

  async create(groupId: Uint8Array): Promise<void> {
    const kp = await this.fresh();
    this.state = await tsCreateGroup(
      groupId,
      kp.publicPackage,
      kp.privatePackage,
      [],
      await this.tsSuite(),
    );
  }

  async commit(change: Change): Promise<CommitBytes> {
    const proposals: TsProposal[] = [];
    for (const bytes of change.add ?? []) {
      const m = tsDecodeMessage(bytes);
      assert.ok(m.wireformat === 'mls_key_package', 'expected a KeyPackage');
      proposals.push({ proposalType: 'add', add: { keyPackage: m.keyPackage } });
    }
    for (const name of change.remove ?? []) {
      proposals.push({ proposalType: 'remove', remove: { removed: this.leafOf(name) } });
    }
    const created = await tsCreateCommit(
      { state: this.current(), cipherSuite: await this.tsSuite() },
      {
        extraProposals: proposals,
        wireAsPublicMessage: !(change.privateMessage ?? false),
        ratchetTreeExtension: true,
      },
    );
    this.state = created.newState;
    const welcome =
      created.welcome === undefined
        ? undefined
        : tsEncode({ version: 'mls10', wireformat: 'mls_welcome', welcome: created.welcome });
    return { commit: tsEncode(created.commit), ...(welcome === undefined ? {} : { welcome }) };
  }

  async join(welcome: Uint8Array): Promise<void> {
    const m = tsDecodeMessage(welcome);
    assert.ok(m.wireformat === 'mls_welcome', 'expected a Welcome');
    assert.ok(this.pending !== undefined, `${this.name} has no KeyPackage`);
    this.state = await joinGroup(
      m.welcome,
      this.pending.publicPackage,
      this.pending.privatePackage,
      emptyPskIndex,
      await this.tsSuite(),
    );
    this.pending = undefined;
  }

  async process(commit: Uint8Array): Promise<void> {
    const m = tsDecodeMessage(commit);
    assert.ok(
      m.wireformat === 'mls_public_message' || m.wireformat === 'mls_private_message',
      'expected a handshake message',
    );
    const result = await processMessage(
      m,
      this.current(),
      emptyPskIndex,
      acceptAll,
      await this.tsSuite(),
    );
    assert.equal(result.kind, 'newState');
    this.state = result.newState;
  }

  async encrypt(text: string): Promise<Uint8Array> {
    const sent = await createApplicationMessage(
      this.current(),
      utf8Encode(text),
      await this.tsSuite(),
    );
    this.state = sent.newState;
    return tsEncode({
      version: 'mls10',
      wireformat: 'mls_private_message',
      privateMessage: sent.privateMessage,
    });
  }

  async decrypt(message: Uint8Array): Promise<string> {
    const m = tsDecodeMessage(message);
    assert.ok(m.wireformat === 'mls_private_message', 'expected a PrivateMessage');
    const result = await processMessage(
      m,
      this.current(),
      emptyPskIndex,
      acceptAll,
      await this.tsSuite(),
    );
    assert.ok(result.kind === 'applicationMessage', 'expected an application message');
    this.state = result.newState;
    return utf8Decode(result.message);
  }

  epoch(): bigint {
    return this.current().groupContext.epoch;
  }

  epochAuthenticator(): Uint8Array {
    return this.current().keySchedule.epochAuthenticator;
  }

  private leaves(): Map<number, string> {
    const names = new Map<number, string>();
    this.current().ratchetTree.forEach((node, i) => {
      if (node?.nodeType === 'leaf' && node.leaf.credential.credentialType === 'basic') {
        names.set(i / 2, utf8Decode(node.leaf.credential.identity));
      }
    });
    return names;
  }

  roster(): string[] {
    return [...this.leaves().values()];
  }

  leafOf(name: string): number {
    return findLeaf(this.leaves(), name);
  }
}

function findLeaf(leaves: ReadonlyMap<number, string>, name: string): number {
  for (const [leaf, n] of leaves) if (n === name) return leaf;
  return assert.fail(`${name} is not in the group`);
}

export function party(
  implementation: 'parley' | 'ts-mls',
  name: string,
  suite: InteropSuite = SUITE_ID,
): Party {
  return implementation === 'parley' ? new OurParty(name, suite) : new TsParty(name, suite);
}

/** Every member is in the same epoch with the same authenticator and the same roster. */
export function assertInSync(...members: Party[]): void {
  const [first, ...rest] = members;
  assert.ok(first !== undefined);
  for (const m of rest) {
    assert.equal(m.epoch(), first.epoch(), `${m.name}'s epoch`);
    assert.equal(toHex(m.epochAuthenticator()), toHex(first.epochAuthenticator()), m.name);
    assert.deepEqual(m.roster(), first.roster(), `${m.name}'s roster`);
  }
}
