/**
 * UnidentifiedSenderMessageContent ("USMC"): what a sealed sender envelope encrypts.
 * `UnidentifiedSenderMessage.Message` = `{1 type, 2 senderCertificate, 3 content,
 * 4 contentHint, 5 groupId}`; type, certificate and content are required.
 */
import { ProtoReader, ProtoWriter } from '@parley/bytes';
import { ProtocolError } from '../errors.js';
import { parsing } from '../messages.js';
import { parseSenderCertificate, type SenderCertificate } from './certificates.js';

/**
 * The inner message kinds a USMC may carry, with their protobuf values (they equal the
 * envelope types except PreKey, which is 1 in this enum and 3 on envelopes).
 */
export const SealedContentType = {
  PreKey: 1,
  Whisper: 2,
  SenderKey: 7,
  Plaintext: 8,
} as const;
export type SealedContentType = (typeof SealedContentType)[keyof typeof SealedContentType];

const CONTENT_TYPES: readonly number[] = Object.values(SealedContentType);

/** What the sender asks the recipient to do when decryption fails (libsignal `ContentHint`). */
export const ContentHint = { Default: 0, Resendable: 1, Implicit: 2 } as const;

export interface UnidentifiedSenderMessageContent {
  readonly type: SealedContentType;
  readonly senderCertificate: SenderCertificate;
  readonly content: Uint8Array;
  /** 0 (default) when absent; other unknown values are kept as they are. */
  readonly contentHint: number;
  readonly groupId: Uint8Array | undefined;
  /** The encoding: what gets encrypted, kept exactly as received. */
  readonly serialized: Uint8Array;
}

export interface ContentFields {
  readonly type: SealedContentType;
  readonly senderCertificate: SenderCertificate;
  readonly content: Uint8Array;
  readonly contentHint?: number | undefined;
  readonly groupId?: Uint8Array | undefined;
}

/** Encodes as libsignal does: a default hint and an empty group id are left out. */
export function createContent(fields: ContentFields): UnidentifiedSenderMessageContent {
  const { type, senderCertificate, content } = fields;
  const contentHint = fields.contentHint ?? ContentHint.Default;
  const groupId =
    fields.groupId !== undefined && fields.groupId.length > 0 ? fields.groupId : undefined;
  if (!CONTENT_TYPES.includes(type)) throw new ProtocolError('MISUSE', 'unknown content type');
  const w = new ProtoWriter()
    .uint32(1, type)
    .bytes(2, senderCertificate.serialized)
    .bytes(3, content);
  if (contentHint !== ContentHint.Default) w.uint32(4, contentHint);
  if (groupId !== undefined) w.bytes(5, groupId);
  return {
    type,
    senderCertificate,
    content,
    contentHint,
    groupId: fields.groupId,
    serialized: w.finish(),
  };
}

export function parseContent(bytes: Uint8Array): UnidentifiedSenderMessageContent {
  return parsing('sealed sender content', () => {
    let type: number | undefined;
    let certificate: Uint8Array | undefined;
    let content: Uint8Array | undefined;
    let contentHint: number = ContentHint.Default;
    let groupId: Uint8Array | undefined;
    for (const f of new ProtoReader(bytes)) {
      switch (f.fieldNumber) {
        case 1:
          type = f.uint32();
          break;
        case 2:
          certificate = f.bytes();
          break;
        case 3:
          content = f.bytes();
          break;
        case 4:
          contentHint = f.uint32();
          break;
        case 5:
          groupId = f.bytes();
          break;
        default:
          break;
      }
    }
    if (type === undefined || !CONTENT_TYPES.includes(type)) {
      throw new ProtocolError('INVALID_MESSAGE', 'sealed sender content: unknown type');
    }
    if (certificate === undefined || content === undefined) {
      throw new ProtocolError('INVALID_MESSAGE', 'sealed sender content: missing field');
    }
    return {
      type: type as SealedContentType,
      senderCertificate: parseSenderCertificate(certificate),
      content,
      contentHint,
      groupId,
      serialized: bytes.slice(),
    };
  });
}
