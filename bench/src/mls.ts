/**
 * MLS (RFC 9420, suite 1) benchmarks: ours (`@parley/mls` over node:crypto) against ts-mls 1.6.4
 * in the same run, the table: for each group size N, one commit adding N − 1 members,
 * joining from its Welcome, creating and processing a self-update commit, creating and
 * processing a remove, and application-message encrypt and decrypt.
 *
 * Groups are built once per size, lazily, by our implementation (leaf 0 adds everyone in one
 * commit); the measured member is leaf 1, held by ours or by ts-mls (joined from our Welcome,
 * which the interop tests show is equivalent). Every measured operation starts from the same
 * stored state, so each run does the same work: both implementations return new states instead
 * of changing the old one. ts-mls is each group's baseline, so the ratio column reads as our
 * speed-up.
 *
 * Sizes: `--quick` (the CI smoke run) measures N = 2, 16 and 128, about half a minute; a full run
 * adds N = 1,024; `--mls-10000` adds N = 10,000 for ours only (its add-commit alone takes
 * seconds: pair it with `--rounds 1`). The harness runs every benchmark at least 9 × (rounds + 1)
 * times, and ts-mls needs about a second or more per handshake operation at N = 1,024 (ten for
 * a join), so by default those ts-mls operations are measured once each instead: the row is
 * named `… (ts-mls once)`, the harness times ours alone, and ts-mls's one run goes to stderr.
 * `--mls-ts-harness` runs them through the harness like the other rows (use `--rounds 1`), and
 * `--mls-ts-skip` leaves ts-mls out at N = 1,024.
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
  type KeyPackage,
  type MlsMessage,
  type ValidationPolicy,
  type Welcome,
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
  type KeyPackage as TsKeyPackage,
  type MLSMessage,
  type PrivateKeyPackage as TsPrivateKeyPackage,
  type Proposal as TsProposal,
  type Welcome as TsWelcome,
} from 'ts-mls';
import type { Benchmark } from './harness.js';

/** Group sizes of the quick (CI) run. */
export const MLS_QUICK_SIZES = [2, 16, 128] as const;
/** Group sizes of a full run. */
export const MLS_SIZES = [2, 16, 128, 1024] as const;
/** The size measured for ours only, with `--mls-10000`. */
export const MLS_LARGE_SIZE = 10_000;

/** How ts-mls handshake rows at N = 1,024 are run (`--mls-ts-harness`, `--mls-ts-skip`). */
export type TsLargeMode = 'harness' | 'once' | 'skip';

export interface MlsBenchOptions {
  readonly sizes: readonly number[];
  /** Add the ours-only N = 10,000 rows. */
  readonly large: boolean;
  readonly tsLarge: TsLargeMode;
}

/** The options from the command line: `--quick`, `--mls-10000`, `--mls-ts-harness`, `--mls-ts-skip`. */
export function mlsOptionsFromArgs(args: readonly string[]): MlsBenchOptions {
  return {
    sizes: args.includes('--quick') ? MLS_QUICK_SIZES : MLS_SIZES,
    large: args.includes('--mls-10000'),
    tsLarge: args.includes('--mls-ts-skip')
      ? 'skip'
      : args.includes('--mls-ts-harness')
        ? 'harness'
        : 'once',
  };
}

const SUITE_ID = 1;
const SUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const LIFETIME = { notBefore: 0n, notAfter: 1n << 40n };
const APPLICATION_PAYLOAD_BYTES = 100;
/** ts-mls handshake operations at or above this size are measured once by default. */
const TS_SLOW_SIZE = 1024;
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

function tsKeyPackageOf(keyPackage: KeyPackage): TsKeyPackage {
  const m = tsDecodeMessage(encodeMlsMessage({ wireFormat: WireFormat.keyPackage, keyPackage }));
  if (m.wireformat !== 'mls_key_package') throw new Error('not a KeyPackage');
  return m.keyPackage;
}

/** A group of one (our leaf 0) and the KeyPackages of leaves 2 … N − 1, made once per size. */
interface AddInputs {
  readonly creator: GroupState;
  readonly creatorKey: Uint8Array;
  /** Our leaf 1 (the measured member when ours is measured). */
  readonly second: OursMember;
  /** KeyPackages of leaves 2 … N − 1. */
  readonly others: readonly KeyPackage[];
}

function addInputs(crypto: MlsCrypto, size: number): AddInputs {
  const creatorKey = crypto.primitives.ed25519.generateKeyPair().privateKey;
  const creator = createGroup(crypto, {
    groupId: crypto.primitives.randomBytes(16),
    credential: { credentialType: CredentialType.basic, identity: name(0) },
    signaturePrivateKey: creatorKey,
    lifetime: LIFETIME,
  });
  const others = Array.from(
    { length: size - 2 },
    (_, i) => oursMember(crypto, i + 2).keyPackage.keyPackage,
  );
  return { creator, creatorKey, second: oursMember(crypto, 1), others };
}

function addCommit(
  crypto: MlsCrypto,
  inputs: AddInputs,
  keyPackages: readonly KeyPackage[],
): ReturnType<typeof createCommit> {
  return createCommit(crypto, inputs.creator, {
    signaturePrivateKey: inputs.creatorKey,
    proposals: keyPackages.map((keyPackage) => ({ proposalType: ProposalType.add, keyPackage })),
    psks: noPsks,
    policy,
  });
}

/** A group of `size` built by our leaf 0, with the messages leaf 1 is measured on. */
interface BuiltGroup {
  readonly welcome: Welcome;
  /** Leaf 0's self-update commit (PrivateMessage), not yet adopted by anyone. */
  readonly update: MlsMessage;
  /** Leaf 0's commit removing the last leaf (PrivateMessage), for N > 2. */
  readonly remove?: MlsMessage;
  /** An application message from leaf 0 of `APPLICATION_PAYLOAD_BYTES`. */
  readonly application: MlsMessage;
}

function buildGroup(
  crypto: MlsCrypto,
  size: number,
  inputs: AddInputs,
  second: KeyPackage,
): BuiltGroup {
  const added = addCommit(crypto, inputs, [second, ...inputs.others]);
  if (added.welcome === undefined) throw new Error('no Welcome');
  const creator = added.state;
  const commit = (removed?: number): MlsMessage =>
    createCommit(crypto, creator, {
      signaturePrivateKey: inputs.creatorKey,
      privateMessage: true,
      ...(removed === undefined
        ? {}
        : { proposals: [{ proposalType: ProposalType.remove, removed }] }),
      psks: noPsks,
      policy,
    }).message;
  return {
    welcome: added.welcome,
    update: commit(),
    ...(size > 2 ? { remove: commit(size - 1) } : {}),
    application: encryptApplicationMessage(
      crypto,
      creator,
      new Uint8Array(APPLICATION_PAYLOAD_BYTES),
      inputs.creatorKey,
    ).message,
  };
}

/** Our leaf 1 in a group of `size`. */
interface OursFixture {
  readonly group: BuiltGroup;
  readonly member: OursMember;
  readonly state: GroupState;
}

function oursJoin(crypto: MlsCrypto, welcome: Welcome, member: OursMember): GroupState {
  const { keyPackage, initPrivateKey, encryptionPrivateKey } = member.keyPackage;
  const joined = joinFromWelcome(crypto, {
    welcome,
    keyPackage,
    initPrivateKey,
    encryptionPrivateKey,
    psks: noPsks,
    policy,
  });
  return groupStateFromJoin(crypto, joined);
}

function oursFixture(crypto: MlsCrypto, size: number, inputs: AddInputs): OursFixture {
  const group = buildGroup(crypto, size, inputs, inputs.second.keyPackage.keyPackage);
  return { group, member: inputs.second, state: oursJoin(crypto, group.welcome, inputs.second) };
}

/** A ts-mls leaf 1 in a group of `size` built by ours. */
interface TsFixture {
  readonly welcome: TsWelcome;
  readonly keyPackage: TsKeyPackage;
  readonly privateKeyPackage: TsPrivateKeyPackage;
  readonly state: ClientState;
  readonly update: MLSMessage;
  readonly remove?: MLSMessage;
  readonly application: MLSMessage;
}

let tsSuitePromise: Promise<CiphersuiteImpl> | undefined;
function tsSuite(): Promise<CiphersuiteImpl> {
  tsSuitePromise ??= getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAME));
  return tsSuitePromise;
}

function tsGenerateKeyPackage(
  i: number,
  cs: CiphersuiteImpl,
): ReturnType<typeof generateKeyPackage> {
  return generateKeyPackage(
    { credentialType: 'basic', identity: name(i) },
    tsDefaultCapabilities(),
    defaultLifetime,
    [],
    cs,
  );
}

async function tsFixture(crypto: MlsCrypto, size: number, inputs: AddInputs): Promise<TsFixture> {
  const cs = await tsSuite();
  const kp = await tsGenerateKeyPackage(1, cs);
  // ts-mls's KeyPackage crosses to ours as bytes, the way it would on the wire.
  const ours = decodeMlsMessage(
    tsEncode({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage }),
  );
  if (ours.wireFormat !== WireFormat.keyPackage) throw new Error('not a KeyPackage');
  const group = buildGroup(crypto, size, inputs, ours.keyPackage);
  const tsWelcome = tsDecodeMessage(
    encodeMlsMessage({ wireFormat: WireFormat.welcome, welcome: group.welcome }),
  );
  if (tsWelcome.wireformat !== 'mls_welcome') throw new Error('not a Welcome');
  const state = await joinGroup(
    tsWelcome.welcome,
    kp.publicPackage,
    kp.privatePackage,
    emptyPskIndex,
    cs,
  );
  const remove = group.remove;
  return {
    welcome: tsWelcome.welcome,
    keyPackage: kp.publicPackage,
    privateKeyPackage: kp.privatePackage,
    state,
    update: tsDecodeMessage(encodeMlsMessage(group.update)),
    ...(remove === undefined ? {} : { remove: tsDecodeMessage(encodeMlsMessage(remove)) }),
    application: tsDecodeMessage(encodeMlsMessage(group.application)),
  };
}

/** A ts-mls group of one and ts-mls's view of the same N − 1 KeyPackages as ours. */
async function tsAddInputs(
  crypto: MlsCrypto,
  inputs: AddInputs,
): Promise<{ state: ClientState; proposals: TsProposal[] }> {
  const cs = await tsSuite();
  const kp = await tsGenerateKeyPackage(0, cs);
  const state = await tsCreateGroup(
    crypto.primitives.randomBytes(16),
    kp.publicPackage,
    kp.privatePackage,
    [],
    cs,
  );
  const proposals = [inputs.second.keyPackage.keyPackage, ...inputs.others].map(
    (keyPackage): TsProposal => ({
      proposalType: 'add',
      add: { keyPackage: tsKeyPackageOf(keyPackage) },
    }),
  );
  return { state, proposals };
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

async function tsProcess(state: ClientState, message: MLSMessage | undefined): Promise<unknown> {
  if (
    message === undefined ||
    (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message')
  ) {
    throw new Error('not a handshake message');
  }
  return processMessage(message, state, emptyPskIndex, acceptAll, await tsSuite());
}

/** One benchmarked operation on both sides; `ts` undefined when ts-mls is not measured. */
interface Row {
  readonly group: string;
  readonly ts?: () => Promise<unknown>;
  readonly ours: () => unknown;
}

/**
 * The ts-mls side of a row measured once: the operation runs once when the row is first
 * reached, its time goes to stderr, and the harness then times ours alone.
 */
function onceRow(row: Row): Benchmark {
  const group = `${row.group} (ts-mls once)`;
  let done = false;
  const ts = row.ts;
  return {
    group,
    subject: 'parley',
    run: async () => {
      if (!done && ts !== undefined) {
        done = true;
        await ts(); // setup and a first run, untimed
        const start = performance.now();
        await ts();
        const ms = performance.now() - start;
        process.stderr.write(`${group}: ts-mls ${ms.toFixed(0)} ms (one run)\n`);
      }
      return row.ours();
    },
  };
}

function rowsForSize(crypto: MlsCrypto, size: number, withTs: boolean): Row[] {
  const n = `n=${String(size)}`;
  const inputs = lazy(() => addInputs(crypto, size));
  const ours = lazy(() => oursFixture(crypto, size, inputs()));
  const theirs = lazyAsync(() => tsFixture(crypto, size, inputs()));
  const theirAdd = lazyAsync(() => tsAddInputs(crypto, inputs()));
  const payload = new Uint8Array(APPLICATION_PAYLOAD_BYTES);
  const ts = <T>(run: () => Promise<T>): { ts?: () => Promise<T> } => (withTs ? { ts: run } : {});
  const rows: Row[] = [
    {
      group: `mls add ${String(size - 1)} n=${String(size)}`,
      ...ts(async () => {
        const f = await theirAdd();
        return tsCreateCommit(
          { state: f.state, cipherSuite: await tsSuite() },
          { extraProposals: f.proposals, ratchetTreeExtension: true, wireAsPublicMessage: true },
        );
      }),
      ours: () => {
        const f = inputs();
        return addCommit(crypto, f, [f.second.keyPackage.keyPackage, ...f.others]);
      },
    },
    {
      group: `mls join ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return joinGroup(
          f.welcome,
          f.keyPackage,
          f.privateKeyPackage,
          emptyPskIndex,
          await tsSuite(),
        );
      }),
      ours: () => {
        const f = ours();
        return oursJoin(crypto, f.group.welcome, f.member);
      },
    },
    {
      group: `mls update create ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return tsCreateCommit({ state: f.state, cipherSuite: await tsSuite() });
      }),
      ours: () => {
        const f = ours();
        return createCommit(crypto, f.state, {
          signaturePrivateKey: f.member.signaturePrivateKey,
          privateMessage: true,
          psks: noPsks,
          policy,
        });
      },
    },
    {
      group: `mls update process ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return tsProcess(f.state, f.update);
      }),
      ours: () => {
        const f = ours();
        return processCommit(crypto, f.state, f.group.update, { psks: noPsks, policy });
      },
    },
    {
      // Leaf 1 removes leaf 0 (the only other member when N = 2).
      group: `mls remove create ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return tsCreateCommit(
          { state: f.state, cipherSuite: await tsSuite() },
          { extraProposals: [{ proposalType: 'remove', remove: { removed: 0 } }] },
        );
      }),
      ours: () => {
        const f = ours();
        return createCommit(crypto, f.state, {
          signaturePrivateKey: f.member.signaturePrivateKey,
          proposals: [{ proposalType: ProposalType.remove, removed: 0 }],
          privateMessage: true,
          psks: noPsks,
          policy,
        });
      },
    },
  ];
  if (size > 2) {
    // Leaf 1 processes leaf 0's commit removing the last leaf (impossible with two members).
    rows.push({
      group: `mls remove process ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return tsProcess(f.state, f.remove);
      }),
      ours: () => {
        const f = ours();
        const remove = f.group.remove;
        if (remove === undefined) throw new Error('no remove commit');
        return processCommit(crypto, f.state, remove, { psks: noPsks, policy });
      },
    });
  }
  rows.push(
    {
      group: `mls application encrypt ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return createApplicationMessage(f.state, payload, await tsSuite());
      }),
      ours: () => {
        const f = ours();
        return encryptApplicationMessage(crypto, f.state, payload, f.member.signaturePrivateKey);
      },
    },
    {
      group: `mls application decrypt ${n}`,
      ...ts(async () => {
        const f = await theirs();
        return tsProcess(f.state, f.application);
      }),
      ours: () => {
        const f = ours();
        return decryptApplicationMessage(crypto, f.state, f.group.application);
      },
    },
  );
  return rows;
}

/** The groups whose ts-mls operation takes about a second or more at N = 1,024. */
const SLOW_TS_GROUPS = ['mls add', 'mls join', 'mls update', 'mls remove'];

/** The benchmarks; nothing is built until a selected benchmark first runs. */
export function mlsBenchmarks(
  primitives: Primitives,
  options: MlsBenchOptions = mlsOptionsFromArgs(process.argv.slice(2)),
): Benchmark[] {
  const crypto = new MlsCrypto(primitives, SUITE_ID);
  const benchmarks: Benchmark[] = [];
  for (const size of options.sizes) {
    const slow = size >= TS_SLOW_SIZE;
    const skipTs = slow && options.tsLarge === 'skip';
    for (const row of rowsForSize(crypto, size, !skipTs)) {
      const once =
        slow && options.tsLarge === 'once' && SLOW_TS_GROUPS.some((g) => row.group.startsWith(g));
      if (once) {
        benchmarks.push(onceRow(row));
        continue;
      }
      if (row.ts !== undefined)
        benchmarks.push({ group: row.group, subject: 'ts-mls', run: row.ts });
      benchmarks.push({ group: row.group, subject: 'parley', run: row.ours });
    }
  }
  if (options.large) {
    for (const row of rowsForSize(crypto, MLS_LARGE_SIZE, false)) {
      benchmarks.push({ group: row.group, subject: 'parley', run: row.ours });
    }
  }
  return benchmarks;
}
