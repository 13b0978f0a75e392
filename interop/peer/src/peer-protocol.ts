/**
 * The JSON-lines peer protocol (issue 3): one request per line on stdin, one response per line
 * on stdout, strictly in order. Byte strings are lowercase hex; addresses are
 * `{"name", "device_id"}`. Any implementation that provides a {@link PartyFactory} can serve it.
 */
import { fromHex, toHex } from '@parley/bytes';

export interface Address {
  readonly name: string;
  readonly deviceId: number;
}

/** A bundle in libsignal's serialized key forms (`0x05`/`0x08` prefixed). */
export interface WireBundle {
  readonly name: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly signedPreKey: Uint8Array;
  readonly signedPreKeySignature: Uint8Array;
  readonly preKeyId: number | undefined;
  readonly preKey: Uint8Array | undefined;
  readonly kyberPreKeyId: number;
  readonly kyberPreKey: Uint8Array;
  readonly kyberPreKeySignature: Uint8Array;
}

/** One local party: what a peer process does on its behalf. */
export interface PeerParty {
  readonly address: Address;
  /** Serialized (`0x05 ‖ 32 bytes`). */
  readonly identityKey: Uint8Array;
  readonly registrationId: number;
  bundle(oneTime: boolean): Promise<WireBundle>;
  processBundle(bundle: WireBundle): Promise<void>;
  encrypt(to: Address, plaintext: Uint8Array): Promise<{ type: 2 | 3; ciphertext: Uint8Array }>;
  decrypt(from: Address, type: number, ciphertext: Uint8Array): Promise<Uint8Array>;
  hasSession(peer: Address): Promise<boolean>;
  /**
   * The SPQR epochs of the session with `peer`: of the last message sent and the highest of a
   * message received (0 before the first); undefined without a session.
   */
  spqrEpochs(peer: Address): Promise<SpqrEpochPair | undefined>;
  /**
   * Encrypts on the session with `to`, wraps the message with `senderCertificate` (serialized)
   * and seals it: version 1 gives a v1 envelope (`0x11`), version 2 a v2 multi-recipient
   * message addressed to `to` alone, in the received form (`0x22`) the relay would deliver.
   */
  seal(
    to: Address,
    plaintext: Uint8Array,
    senderCertificate: Uint8Array,
    version: 1 | 2,
  ): Promise<Uint8Array>;
  /**
   * Opens a sealed envelope (v1 or received v2), validates its sender certificate against
   * `trustRoot` (serialized, `0x05 ‖ 32 bytes`) at time `now` (ms), and decrypts the message.
   */
  unseal(sealed: Uint8Array, trustRoot: Uint8Array, now: number): Promise<Unsealed>;
}

export interface Unsealed {
  readonly sender: Address;
  readonly plaintext: Uint8Array;
}

export interface SpqrEpochPair {
  readonly sending: number;
  readonly receiving: number;
}

export interface PartyInit {
  readonly name: string | undefined;
  readonly deviceId: number | undefined;
  readonly registrationId: number | undefined;
}

export type PartyFactory = (init: PartyInit) => Promise<PeerParty>;

/** Limits of the request parser: one line and one hex string. */
export const MAX_REQUEST_LINE_BYTES = 4 * 1024 * 1024;

class RequestError extends Error {
  readonly code = 'INVALID_REQUEST';
}

type Json = Record<string, unknown>;

function field<T>(o: Json, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new RequestError(`"${key}" must be ${what}`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function hexField(o: Json, key: string): Uint8Array {
  const s = field(o, key, isString, 'a hex string');
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new RequestError(`"${key}" must be lowercase hex`);
  return fromHex(s);
}

function optional<T>(o: Json, key: string, read: (o: Json, key: string) => T): T | undefined {
  return o[key] === undefined || o[key] === null ? undefined : read(o, key);
}

function address(o: Json, key: string): Address {
  const a = field(o, key, isObject, 'an address');
  return {
    name: field(a, 'name', isString, 'a string'),
    deviceId: field(a, 'device_id', isInt, 'an integer'),
  };
}

const addressJson = (a: Address): Json => ({ name: a.name, device_id: a.deviceId });

export function bundleToJson(b: WireBundle): Json {
  return {
    name: b.name,
    device_id: b.deviceId,
    registration_id: b.registrationId,
    identity_key: toHex(b.identityKey),
    signed_pre_key_id: b.signedPreKeyId,
    signed_pre_key: toHex(b.signedPreKey),
    signed_pre_key_signature: toHex(b.signedPreKeySignature),
    pre_key_id: b.preKeyId ?? null,
    pre_key: b.preKey === undefined ? null : toHex(b.preKey),
    kyber_pre_key_id: b.kyberPreKeyId,
    kyber_pre_key: toHex(b.kyberPreKey),
    kyber_pre_key_signature: toHex(b.kyberPreKeySignature),
  };
}

export function bundleFromJson(o: Json): WireBundle {
  return {
    name: field(o, 'name', isString, 'a string'),
    deviceId: field(o, 'device_id', isInt, 'an integer'),
    registrationId: field(o, 'registration_id', isInt, 'an integer'),
    identityKey: hexField(o, 'identity_key'),
    signedPreKeyId: field(o, 'signed_pre_key_id', isInt, 'an integer'),
    signedPreKey: hexField(o, 'signed_pre_key'),
    signedPreKeySignature: hexField(o, 'signed_pre_key_signature'),
    preKeyId: optional(o, 'pre_key_id', (x, k) => field(x, k, isInt, 'an integer')),
    preKey: optional(o, 'pre_key', hexField),
    kyberPreKeyId: field(o, 'kyber_pre_key_id', isInt, 'an integer'),
    kyberPreKey: hexField(o, 'kyber_pre_key'),
    kyberPreKeySignature: hexField(o, 'kyber_pre_key_signature'),
  };
}

/** Maps an error to the response's `error_code`: the error's own `code` when it has one. */
export type ErrorCoder = (error: unknown) => string;

const defaultCoder: ErrorCoder = (error) =>
  isObject(error) && typeof error['code'] === 'string' ? error['code'] : 'INTERNAL';

/** Handles requests for a set of local parties; one instance per peer process. */
export class PeerSession {
  readonly #parties = new Map<string, PeerParty>();
  #default: PeerParty | undefined;
  quit = false;

  constructor(
    private readonly factory: PartyFactory,
    private readonly coder: ErrorCoder = defaultCoder,
  ) {}

  /** The response to one request line. */
  async handle(line: string): Promise<Json> {
    let id: unknown = null;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!isObject(parsed)) throw new RequestError('request must be an object');
      id = parsed['id'] ?? null;
      return { id, ok: true, ...(await this.dispatch(parsed)) };
    } catch (error) {
      // A JSON syntax error quotes the input, which may hold plaintext: say only what failed.
      const code = error instanceof SyntaxError ? 'INVALID_REQUEST' : this.coder(error);
      const message =
        error instanceof SyntaxError
          ? 'request is not valid JSON'
          : error instanceof Error
            ? error.message
            : 'error';
      return { id, ok: false, error: message, error_code: code };
    }
  }

  private party(o: Json): PeerParty {
    const as = o['as'];
    if (as !== undefined && typeof as !== 'string') throw new RequestError('"as" must be a string');
    const party = as === undefined ? this.#default : this.#parties.get(as);
    if (party === undefined) throw new RequestError('no such local party; send "init" first');
    return party;
  }

  private async dispatch(o: Json): Promise<Json> {
    const op = field(o, 'op', isString, 'a string');
    switch (op) {
      case 'init': {
        const party = await this.factory({
          name: optional(o, 'name', (x, k) => field(x, k, isString, 'a string')),
          deviceId: optional(o, 'device_id', (x, k) => field(x, k, isInt, 'an integer')),
          registrationId: optional(o, 'registration_id', (x, k) =>
            field(x, k, isInt, 'an integer'),
          ),
        });
        this.#parties.set(party.address.name, party);
        if (o['as'] === undefined) this.#default = party;
        this.#default ??= party;
        return {
          address: addressJson(party.address),
          identity_key: toHex(party.identityKey),
          registration_id: party.registrationId,
        };
      }
      case 'bundle': {
        const oneTime = o['one_time'] === undefined ? true : field(o, 'one_time', isBool, 'a bool');
        return { bundle: bundleToJson(await this.party(o).bundle(oneTime)) };
      }
      case 'process_bundle':
        await this.party(o).processBundle(
          bundleFromJson(field(o, 'bundle', isObject, 'an object')),
        );
        return {};
      case 'encrypt': {
        const r = await this.party(o).encrypt(address(o, 'to'), hexField(o, 'plaintext_hex'));
        return { type: r.type, ciphertext_hex: toHex(r.ciphertext) };
      }
      case 'decrypt': {
        const type = field(o, 'type', isInt, 'an integer');
        const pt = await this.party(o).decrypt(
          address(o, 'from'),
          type,
          hexField(o, 'ciphertext_hex'),
        );
        return { plaintext_hex: toHex(pt) };
      }
      case 'session_info': {
        const party = this.party(o);
        const peer = address(o, 'peer');
        const epochs = await party.spqrEpochs(peer);
        return {
          exists: await party.hasSession(peer),
          spqr_send_epoch: epochs?.sending ?? null,
          spqr_recv_epoch: epochs?.receiving ?? null,
        };
      }
      case 'seal': {
        const version = field(o, 'version', isInt, 'an integer');
        if (version !== 1 && version !== 2) throw new RequestError('"version" must be 1 or 2');
        const sealed = await this.party(o).seal(
          address(o, 'to'),
          hexField(o, 'plaintext_hex'),
          hexField(o, 'sender_certificate_hex'),
          version,
        );
        return { sealed_hex: toHex(sealed) };
      }
      case 'unseal': {
        const r = await this.party(o).unseal(
          hexField(o, 'sealed_hex'),
          hexField(o, 'trust_root_hex'),
          field(o, 'now_ms', isInt, 'an integer'),
        );
        return { sender: addressJson(r.sender), plaintext_hex: toHex(r.plaintext) };
      }
      case 'quit':
        this.quit = true;
        return {};
      default:
        throw new RequestError(`unknown op "${op}"`);
    }
  }
}

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/**
 * The lines of `input` (without their `\n`), or `undefined` for a line longer than `max` bytes,
 * which is skipped without being buffered whole.
 */
export async function* boundedLines(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  max: number,
): AsyncGenerator<string | undefined> {
  const decoder = new TextDecoder();
  let parts: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (overflow || size + piece.length > max) yield undefined;
      else yield decoder.decode(Buffer.concat([...parts, piece]));
      parts = [];
      size = 0;
      overflow = false;
    }
    const rest = chunk.subarray(start);
    if (!overflow && size + rest.length > max) {
      overflow = true;
      parts = [];
      size = 0;
    }
    if (!overflow && rest.length > 0) {
      parts.push(rest);
      size += rest.length;
    }
  }
  if (overflow) yield undefined;
  else if (size > 0) yield decoder.decode(Buffer.concat(parts));
}

/** Serves stdin → stdout until `quit` or end of input; returns the exit code. */
export async function servePeer(factory: PartyFactory, coder?: ErrorCoder): Promise<number> {
  const session = new PeerSession(factory, coder);
  for await (const line of boundedLines(process.stdin, MAX_REQUEST_LINE_BYTES)) {
    if (line !== undefined && line.trim() === '') continue;
    const response =
      line === undefined
        ? { id: null, ok: false, error: 'request too long', error_code: 'INVALID_REQUEST' }
        : await session.handle(line);
    process.stdout.write(`${JSON.stringify(response)}\n`);
    if (session.quit) break;
  }
  return 0;
}
