/**
 * Who may be a leaf of a group: ghost-member protection. A leaf's MLS credential (basic) names
 * one device, `parley1:<accountId>:<deviceId>`; it is accepted only if that device appears in
 * the account's signed device list, verified under the pinned account key with a version that
 * never goes back, and the list carries exactly the leaf's MLS signature key.
 *
 * `ValidationPolicy.authenticate` is synchronous, but device lists come from the relay, so an
 * MLS operation runs in up to two passes ({@link DeviceLists.run}): the first collects the
 * accounts whose lists have not been fetched for this operation (treating them as acceptable so
 * that every credential is seen; that result is discarded), the lists are fetched and verified,
 * and the second pass decides with all of them. A pass that needed no fetch is the decision.
 */
import { constantTimeEqual, fromBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import { CredentialType, MlsError, type Credential, type ValidationPolicy } from '@parley/mls';
import { ClientError } from './errors.js';
import { MAX_ACCOUNTS_PER_GROUP_CHECK } from './limits.js';
import type { DeviceJson } from './state.js';

const CREDENTIAL_PREFIX = 'parley1';
const MAX_CREDENTIAL_BYTES = 256;

/** A group member device as its credential names it. */
export interface MemberDevice {
  readonly accountId: string;
  readonly deviceId: number;
}

/** The basic credential of one of our devices. */
export function deviceCredential(accountId: string, deviceId: number): Credential {
  return {
    credentialType: CredentialType.basic,
    identity: utf8Encode(`${CREDENTIAL_PREFIX}:${accountId}:${deviceId}`),
  };
}

/** The device a credential names, or undefined if it is not one of ours. */
export function credentialDevice(c: Credential): MemberDevice | undefined {
  if (c.credentialType !== CredentialType.basic || c.identity.length > MAX_CREDENTIAL_BYTES)
    return undefined;
  let text: string;
  try {
    text = utf8Decode(c.identity);
  } catch {
    return undefined;
  }
  const m = /^parley1:([A-Za-z0-9_-]{1,64}):([1-9][0-9]{0,2})$/.exec(text);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { accountId: m[1], deviceId: Number(m[2]) };
}

/** Loads one account's verified device list (throws `UNTRUSTED_DEVICES` or `KEY_CHANGED`). */
export type DeviceListLoader = (accountId: string) => Promise<readonly DeviceJson[]>;

/**
 * The verified device lists fetched for one operation (a `receive` batch or one group change),
 * and the credential check over them.
 */
export class DeviceLists {
  readonly #load: DeviceListLoader;
  readonly #nowSeconds: () => bigint;
  readonly #lists = new Map<string, readonly DeviceJson[]>();
  /** Why an account's list could not be used (it then backs no leaf). */
  readonly #unusable = new Map<string, string>();

  constructor(load: DeviceListLoader, nowSeconds: () => bigint) {
    this.#load = load;
    this.#nowSeconds = nowSeconds;
  }

  /** The account's verified devices, fetched once per operation; [] when it cannot be trusted. */
  async devices(accountId: string): Promise<readonly DeviceJson[]> {
    const known = this.#lists.get(accountId);
    if (known !== undefined) return known;
    let devices: readonly DeviceJson[] = [];
    try {
      devices = await this.#load(accountId);
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      if (e.code === 'UNREACHABLE') throw e;
      this.#unusable.set(accountId, e.code);
    }
    this.#lists.set(accountId, devices);
    return devices;
  }

  /** True when `device` is in its account's list with exactly this MLS signature key. */
  backs(device: MemberDevice, signatureKey: Uint8Array): boolean {
    const listed = this.#lists
      .get(device.accountId)
      ?.find((d) => d.deviceId === device.deviceId)?.mlsSignatureKey;
    return listed !== undefined && constantTimeEqual(fromBase64(listed), signatureKey);
  }

  /**
   * Runs a synchronous MLS operation with a policy backed by the lists, fetching the lists it
   * turns out to need first (see the file comment). A refusal caused by a credential becomes
   * `UNBACKED_MEMBER`; other MLS failures propagate unchanged.
   */
  async run<T>(op: (policy: ValidationPolicy) => T): Promise<T> {
    const missing = new Set<string>();
    const refused: string[] = [];
    let first: T | undefined;
    let failure: unknown;
    try {
      first = op(this.#policy(missing, refused));
    } catch (e) {
      failure = e;
    }
    if (missing.size === 0) {
      if (failure === undefined) return first as T;
      throw this.#translate(failure, refused);
    }
    if (missing.size + this.#lists.size > MAX_ACCOUNTS_PER_GROUP_CHECK)
      throw new ClientError('UNBACKED_MEMBER', 'the group names too many accounts to check');
    for (const accountId of missing) await this.devices(accountId);
    return this.decide(op);
  }

  /**
   * Runs an MLS operation synchronously with the lists fetched so far (inside a storage
   * transaction, after {@link run} has fetched what it needs); an account not fetched backs no
   * leaf.
   */
  decide<T>(op: (policy: ValidationPolicy) => T): T {
    const refused: string[] = [];
    try {
      return op(this.#policy(undefined, refused));
    } catch (e) {
      throw this.#translate(e, refused);
    }
  }

  /** The policy; with `missing`, unfetched accounts are collected and provisionally accepted. */
  #policy(missing: Set<string> | undefined, refused: string[]): ValidationPolicy {
    return {
      now: this.#nowSeconds(),
      authenticate: (credential, signatureKey) => {
        const device = credentialDevice(credential);
        if (device === undefined) {
          refused.push('a credential that names no Parley device');
          return false;
        }
        if (!this.#lists.has(device.accountId)) {
          if (missing !== undefined) {
            missing.add(device.accountId);
            return true;
          }
          refused.push('a device whose account list could not be fetched');
          return false;
        }
        if (this.backs(device, signatureKey)) return true;
        const why = this.#unusable.get(device.accountId);
        refused.push(
          why === undefined
            ? `device ${device.deviceId} with a key its account's signed device list does not hold`
            : `a device of an account whose list is unusable (${why})`,
        );
        return false;
      },
    };
  }

  #translate(e: unknown, refused: readonly string[]): unknown {
    if (e instanceof MlsError && refused.length > 0)
      return new ClientError('UNBACKED_MEMBER', `refused a group member: ${refused[0] ?? ''}`);
    return e;
  }
}
