import { constantTimeEqual } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import type { CipherSuite } from '../cipher-suite.js';
import { decodeWith } from '../codec.js';
import { readMlsMessage, WireFormat } from '../framing.js';
import { groupStateFromJoin, processCommit, processProposal } from '../group.js';
import { joinFromWelcome } from '../join.js';
import { MlsCrypto } from '../mls-crypto.js';
import { PskType, type PreSharedKeyId } from '../psk.js';
import type { ValidationPolicy } from '../validation.js';
import { perSuiteCases, type MlsVectorCase } from './vector-case.js';
import {
  asHex,
  asObject,
  expectBytes,
  getArray,
  getHex,
  VectorMismatchError,
  type JsonObject,
} from './vector-json.js';
import { getPrivateKey } from './vector-keys.js';

/**
 * The vectors come with no application policy (basic credentials, no device lists) and were
 * generated long ago, so every credential is accepted and lifetimes are not checked (no clock).
 */
const ACCEPT_ANY_CREDENTIAL: ValidationPolicy = { authenticate: () => true };

function messageOf(bytes: Uint8Array, what: string) {
  return decodeWith(bytes, what, readMlsMessage);
}

/**
 * One passive-client vector: the keys match the KeyPackage, the client joins from the Welcome
 * (tree inline or given, with external PSKs) with the stated epoch_authenticator, then
 * processes each epoch's proposals and commit and matches each epoch_authenticator.
 */
function passiveClient(e: JsonObject, suite: CipherSuite, p: Primitives): void {
  const c = new MlsCrypto(p, suite);
  const kpMessage = messageOf(getHex(e, 'key_package'), 'key_package');
  const welcomeMessage = messageOf(getHex(e, 'welcome'), 'welcome');
  if (kpMessage.wireFormat !== WireFormat.keyPackage)
    throw new VectorMismatchError('not a KeyPackage');
  if (welcomeMessage.wireFormat !== WireFormat.welcome)
    throw new VectorMismatchError('not a Welcome');
  const keyPackage = kpMessage.keyPackage;
  const signaturePriv = getPrivateKey(c, e, 'signature_priv');
  const encryptionPriv = getPrivateKey(c, e, 'encryption_priv');
  const initPriv = getPrivateKey(c, e, 'init_priv');
  expectBytes(
    c.signaturePublicKey(signaturePriv),
    keyPackage.leafNode.signatureKey,
    'signature key',
  );
  expectBytes(c.kemPublicKey(encryptionPriv), keyPackage.leafNode.encryptionKey, 'encryption key');
  expectBytes(c.kemPublicKey(initPriv), keyPackage.initKey, 'init key');

  const external = getArray(e, 'external_psks').map((value, i) => {
    const o = asObject(value, `external_psks[${i}]`);
    return { id: getHex(o, 'psk_id'), psk: getHex(o, 'psk') };
  });
  const psks = (id: PreSharedKeyId): Uint8Array | undefined =>
    id.pskType === PskType.external
      ? external.find((x) => constantTimeEqual(x.id, id.pskId))?.psk
      : undefined;
  const tree = e['ratchet_tree'] === null ? {} : { ratchetTree: getHex(e, 'ratchet_tree') };
  const joined = joinFromWelcome(c, {
    welcome: welcomeMessage.welcome,
    keyPackage,
    initPrivateKey: initPriv,
    encryptionPrivateKey: encryptionPriv,
    psks,
    policy: ACCEPT_ANY_CREDENTIAL,
    ...tree,
  });
  expectBytes(
    joined.secrets.epochAuthenticator,
    getHex(e, 'initial_epoch_authenticator'),
    'initial_epoch_authenticator',
  );
  let state = groupStateFromJoin(c, joined);
  getArray(e, 'epochs').forEach((value, i) => {
    const epoch = asObject(value, `epochs[${i}]`);
    for (const proposal of getArray(epoch, 'proposals')) {
      state = processProposal(
        c,
        state,
        messageOf(asHex(proposal, 'proposal'), 'proposal'),
        ACCEPT_ANY_CREDENTIAL,
      );
    }
    state = processCommit(c, state, messageOf(getHex(epoch, 'commit'), 'commit'), {
      psks,
      policy: ACCEPT_ANY_CREDENTIAL,
    });
    expectBytes(
      state.secrets.epochAuthenticator,
      getHex(epoch, 'epoch_authenticator'),
      `epoch ${i} epoch_authenticator`,
    );
  });
}

/** passive-client-welcome.json: join from a Welcome in every configuration. */
export function passiveClientWelcomeCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => passiveClient(e, suite, p));
}

/** passive-client-handling-commit.json: join, then commits of every proposal type. */
export function passiveClientHandlingCommitCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => passiveClient(e, suite, p));
}

/** passive-client-random.json: join, then 200 epochs of random adds, removes and updates. */
export function passiveClientRandomCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => passiveClient(e, suite, p));
}

/**
 * interop-passive/*.json: the same passive-client format, from the gRPC interop scenarios
 * (application, branch, commit, external join, external proposals, reinit, welcome join).
 */
export function passiveClientInteropCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => passiveClient(e, suite, p));
}
