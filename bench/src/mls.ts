/**
 * MLS (RFC 9420, suite 1) benchmarks: ours (`@parley/mls` over node:crypto) against ts-mls 1.6.4
 * in the same run. Groups are built once, lazily, by our implementation; the ts-mls subject is a
 * ts-mls member of a group of the same shape (it joins from our Welcome, which the interop tests
 * show is equivalent). Every measured operation starts from the same stored state, so each run
 * does the same work: both implementations return new states instead of changing the old one.
 * ts-mls is each group's baseline, so the ratio column reads as our speed-up.
 */
import {
  CredentialType,
  MlsCrypto,
  ProposalType,
  WireFormat,
  createCommit,
  createGroup,
  createKeyPackage,
  decodeMlsMessage,
  decryptApplicationMessage,
  encodeMlsMessage,
  encryptApplicationMessage,
  groupStateFromJoin,
  joinFromWelcome,
  processCommit,
  type CreatedKeyPackage,
  type GroupState,
  type MlsMessage,
  type ValidationPolicy,
} from '@parley/mls';
import type { Primitives } from '@parley/primitives';
import {
  acceptAll,
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
  type CiphersuiteImpl,
  type ClientState,
  type MLSMessage,
  type Proposal as TsProposal,
} from 'ts-mls';
import type { Benchmark } from './harness.js';

/** Group sizes for processing a self-update commit (the table; NOTES.md has ts-mls's). */
export const MLS_PROCESS_SIZES = [2, 128, 1024] as const;
/**
 * Group size for creating one commit that adds N − 1 members. ts-mls needs ≈ 2.6 s at 1,024 and
 * the harness runs at least 8 operations per round, so the shared row stays at 128.
 */
export const MLS_ADD_SIZE = 128;
const SUITE_ID = 1;
const SUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const LIFETIME = { notBefore: 0n, notAfter: 1n << 40n };
const APPLICATION_PAYLOAD_BYTES = 100;
const noPsks = (): undefined => undefined;
const policy: ValidationPolicy = {
  authenticate: (c) => c.credentialType === CredentialType.basic,
};

function name(i: number): Uint8Array {
  return new TextEncoder().encode(`member-${String(i)}`);
}

interface OursMember {
  readonly signaturePrivateKey: Uint8Array;
  readonly keyPackage: CreatedKeyPackage;
}

function oursMember(crypto: MlsCrypto, i: number): OursMember {
  const signaturePrivateKey = crypto.primitives.ed25519.generateKeyPair().privateKey;
  const keyPackage = createKeyPackage(crypto, {
    credential: { credentialType: CredentialType.basic, identity: name(i) },
    signaturePrivateKey,
    lifetime: LIFETIME,
  });
  return { signaturePrivateKey, keyPackage };
}

function tsDecodeMessage(bytes: Uint8Array): MLSMessage {
  const decoded = tsDecode(bytes, 0);
  if (decoded === undefined) throw new Error('ts-mls could not decode the message');
  return decoded[0];
}

/** A group of `size` created by our leaf 0, with leaf 1 held by ours or by ts-mls. */
interface BuiltGroup {
  readonly creator: GroupState;
  readonly creatorKey: Uint8Array;
  /** Leaf 0's self-update commit (PrivateMessage), not yet adopted by anyone. */
  readonly update: MlsMessage;
  /** An application message from leaf 0 of `APPLICATION_PAYLOAD_BYTES`. */
  readonly application: MlsMessage;
}

function buildGroup(
  crypto: MlsCrypto,
  size: number,
  secondKeyPackage: MlsMessage & { readonly wireFormat: 5 },
): { readonly group: BuiltGroup; readonly welcome: MlsMessage } {
  const creatorKey = crypto.primitives.ed25519.generateKeyPair().privateKey;
  const created = createGroup(crypto, {
    groupId: crypto.primitives.randomBytes(16),
    credential: { credentialType: CredentialType.basic, identity: name(0) },
    signaturePrivateKey: creatorKey,
    lifetime: LIFETIME,
  });
  const others = Array.from({ length: size - 2 }, (_, i) => oursMember(crypto, i + 2));
  const added = createCommit(crypto, created, {
    signaturePrivateKey: creatorKey,
    proposals: [secondKeyPackage.keyPackage, ...others.map((m) => m.keyPackage.keyPackage)].map(
      (keyPackage) => ({ proposalType: ProposalType.add, keyPackage }),
    ),
    psks: noPsks,
    policy,
  });
  if (added.welcome === undefined) throw new Error('no Welcome');
  const creator = added.state;
  const update = createCommit(crypto, creator, {
    signaturePrivateKey: creatorKey,
    privateMessage: true,
    psks: noPsks,
    policy,
  }).message;
  const application = encryptApplicationMessage(
    crypto,
    creator,
    new Uint8Array(APPLICATION_PAYLOAD_BYTES),
    creatorKey,
  ).message;
  return {
    group: { creator, creatorKey, update, application },
    welcome: { wireFormat: WireFormat.welcome, welcome: added.welcome },
  };
}

interface OursFixture {
  readonly group: BuiltGroup;
  readonly receiver: GroupState;
  readonly receiverKey: Uint8Array;
}

function oursFixture(crypto: MlsCrypto, size: number): OursFixture {
  const second = oursMember(crypto, 1);
  const { group, welcome } = buildGroup(crypto, size, {
    wireFormat: WireFormat.keyPackage,
    keyPackage: second.keyPackage.keyPackage,
  });
  if (welcome.wireFormat !== WireFormat.welcome) throw new Error('no Welcome');
  const joined = joinFromWelcome(crypto, {
    welcome: welcome.welcome,
    keyPackage: second.keyPackage.keyPackage,
    initPrivateKey: second.keyPackage.initPrivateKey,
    encryptionPrivateKey: second.keyPackage.encryptionPrivateKey,
    psks: noPsks,
    policy,
  });
  return {
    group,
    receiver: groupStateFromJoin(crypto, joined),
    receiverKey: second.signaturePrivateKey,
  };
}

interface TsFixture {
  readonly receiver: ClientState;
  readonly update: MLSMessage;
  readonly application: MLSMessage;
}

let tsSuitePromise: Promise<CiphersuiteImpl> | undefined;
function tsSuite(): Promise<CiphersuiteImpl> {
  tsSuitePromise ??= getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAME));
  return tsSuitePromise;
}

async function tsFixture(crypto: MlsCrypto, size: number): Promise<TsFixture> {
  const cs = await tsSuite();
  const kp = await generateKeyPackage(
    { credentialType: 'basic', identity: name(1) },
    tsDefaultCapabilities(),
    defaultLifetime,
    [],
    cs,
  );
  // ts-mls's KeyPackage crosses to ours as bytes, the way it would on the wire.
  const kpBytes = tsEncode({
    version: 'mls10',
    wireformat: 'mls_key_package',
    keyPackage: kp.publicPackage,
  });
  const ours = decodeMlsMessage(kpBytes);
  if (ours.wireFormat !== WireFormat.keyPackage) throw new Error('not a KeyPackage');
  const { group, welcome } = buildGroup(crypto, size, ours);
  const tsWelcome = tsDecodeMessage(encodeMlsMessage(welcome));
  if (tsWelcome.wireformat !== 'mls_welcome') throw new Error('not a Welcome');
  const receiver = await joinGroup(
    tsWelcome.welcome,
    kp.publicPackage,
    kp.privatePackage,
    emptyPskIndex,
    cs,
  );
  return {
    receiver,
    update: tsDecodeMessage(encodeMlsMessage(group.update)),
    application: tsDecodeMessage(encodeMlsMessage(group.application)),
  };
}

/** Memoises a synchronous setup until the first run. */
function lazy<T>(make: () => T): () => T {
  let value: { readonly v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/** Memoises an asynchronous setup until the first run. */
function lazyAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

async function tsProcess(state: ClientState, message: MLSMessage): Promise<ClientState> {
  if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message') {
    throw new Error('not a handshake message');
  }
  const result = await processMessage(message, state, emptyPskIndex, acceptAll, await tsSuite());
  return result.newState;
}

/** The benchmarks; nothing is built until a selected benchmark first runs. */
export function mlsBenchmarks(primitives: Primitives): Benchmark[] {
  const crypto = new MlsCrypto(primitives, SUITE_ID);
  const benchmarks: Benchmark[] = [];

  for (const size of MLS_PROCESS_SIZES) {
    const ours = lazy(() => oursFixture(crypto, size));
    const theirs = lazyAsync(() => tsFixture(crypto, size));
    const group = `mls process self-update n=${String(size)}`;
    benchmarks.push(
      {
        group,
        subject: 'ts-mls',
        run: async () => {
          const f = await theirs();
          return tsProcess(f.receiver, f.update);
        },
      },
      {
        group,
        subject: 'parley',
        run: () => {
          const f = ours();
          return processCommit(crypto, f.receiver, f.group.update, { psks: noPsks, policy });
        },
      },
    );
  }

  const small = lazy(() => oursFixture(crypto, 2));
  const smallTs = lazyAsync(() => tsFixture(crypto, 2));
  const payload = new Uint8Array(APPLICATION_PAYLOAD_BYTES);
  benchmarks.push(
    {
      group: 'mls application encrypt',
      subject: 'ts-mls',
      run: async () => {
        const f = await smallTs();
        return createApplicationMessage(f.receiver, payload, await tsSuite());
      },
    },
    {
      group: 'mls application encrypt',
      subject: 'parley',
      run: () => {
        const f = small();
        return encryptApplicationMessage(crypto, f.receiver, payload, f.receiverKey);
      },
    },
    {
      group: 'mls application decrypt',
      subject: 'ts-mls',
      run: async () => {
        const f = await smallTs();
        const m = f.application;
        if (m.wireformat !== 'mls_private_message') throw new Error('not a PrivateMessage');
        return processMessage(m, f.receiver, emptyPskIndex, acceptAll, await tsSuite());
      },
    },
    {
      group: 'mls application decrypt',
      subject: 'parley',
      run: () => {
        const f = small();
        return decryptApplicationMessage(crypto, f.receiver, f.group.application);
      },
    },
  );

  // One commit adding N − 1 members to a group of one; the same KeyPackages for both.
  const addGroup = `mls commit adding ${String(MLS_ADD_SIZE - 1)}`;
  const addInputs = lazy(() => {
    const creatorKey = crypto.primitives.ed25519.generateKeyPair().privateKey;
    const state = createGroup(crypto, {
      groupId: crypto.primitives.randomBytes(16),
      credential: { credentialType: CredentialType.basic, identity: name(0) },
      signaturePrivateKey: creatorKey,
      lifetime: LIFETIME,
    });
    const members = Array.from({ length: MLS_ADD_SIZE - 1 }, (_, i) => oursMember(crypto, i + 1));
    return { state, creatorKey, keyPackages: members.map((m) => m.keyPackage.keyPackage) };
  });
  const addInputsTs = lazyAsync(async () => {
    const cs = await tsSuite();
    const kp = await generateKeyPackage(
      { credentialType: 'basic', identity: name(0) },
      tsDefaultCapabilities(),
      defaultLifetime,
      [],
      cs,
    );
    const state = await tsCreateGroup(
      crypto.primitives.randomBytes(16),
      kp.publicPackage,
      kp.privatePackage,
      [],
      cs,
    );
    const proposals: TsProposal[] = addInputs().keyPackages.map((keyPackage) => {
      const m = tsDecodeMessage(
        encodeMlsMessage({ wireFormat: WireFormat.keyPackage, keyPackage }),
      );
      if (m.wireformat !== 'mls_key_package') throw new Error('not a KeyPackage');
      return { proposalType: 'add', add: { keyPackage: m.keyPackage } };
    });
    return { state, proposals };
  });
  benchmarks.push(
    {
      group: addGroup,
      subject: 'ts-mls',
      run: async () => {
        const f = await addInputsTs();
        return tsCreateCommit(
          { state: f.state, cipherSuite: await tsSuite() },
          { extraProposals: f.proposals, ratchetTreeExtension: true },
        );
      },
    },
    {
      group: addGroup,
      subject: 'parley',
      run: () => {
        const f = addInputs();
        return createCommit(crypto, f.state, {
          signaturePrivateKey: f.creatorKey,
          proposals: f.keyPackages.map((keyPackage) => ({
            proposalType: ProposalType.add,
            keyPackage,
          })),
          psks: noPsks,
          policy,
        });
      },
    },
  );
  return benchmarks;
}
