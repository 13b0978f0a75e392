import { TlsWriter, type TlsReader } from '@parley/bytes';
import { checkEnum, decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { readCommit, writeCommit, type Commit } from './commit.js';
import { MlsError } from './errors.js';
import { PROTOCOL_VERSION_MLS10, writeGroupContext, type GroupContext } from './group-context.js';
import { readKeyPackage, writeKeyPackage, type KeyPackage } from './key-package.js';
import { readProposal, writeProposal, type Proposal } from './proposal.js';
import {
  readGroupInfo,
  readWelcome,
  writeGroupInfo,
  writeWelcome,
  type GroupInfo,
  type Welcome,
} from './welcome.js';

/** WireFormat values (RFC 9420 §6). */
export const WireFormat = {
  publicMessage: 1,
  privateMessage: 2,
  welcome: 3,
  groupInfo: 4,
  keyPackage: 5,
} as const;

/** ContentType values (RFC 9420 §6). */
export const ContentType = { application: 1, proposal: 2, commit: 3 } as const;

/** SenderType values (RFC 9420 §6). */
export const SenderType = {
  member: 1,
  external: 2,
  newMemberProposal: 3,
  newMemberCommit: 4,
} as const;

/** Sender (RFC 9420 §6). */
export type Sender =
  | { readonly senderType: 1; readonly leafIndex: number }
  | { readonly senderType: 2; readonly senderIndex: number }
  | { readonly senderType: 3 }
  | { readonly senderType: 4 };

/** The content of a FramedContent, by content type. */
export type FramedBody =
  | { readonly contentType: 1; readonly applicationData: Uint8Array }
  | { readonly contentType: 2; readonly proposal: Proposal }
  | { readonly contentType: 3; readonly commit: Commit };

/** FramedContent (RFC 9420 §6). */
export type FramedContent = {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly sender: Sender;
  readonly authenticatedData: Uint8Array;
} & FramedBody;

/** FramedContentAuthData (RFC 9420 §6.1): the confirmation tag is present exactly for commits. */
export interface FramedContentAuthData {
  readonly signature: Uint8Array;
  readonly confirmationTag?: Uint8Array;
}

/** AuthenticatedContent (RFC 9420 §6.1). */
export interface AuthenticatedContent {
  readonly wireFormat: 1 | 2;
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
}

/** PublicMessage (RFC 9420 §6.2): the membership tag is present exactly for member senders. */
export interface PublicMessage {
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
  readonly membershipTag?: Uint8Array;
}

/** PrivateMessage (RFC 9420 §6.3). */
export interface PrivateMessage {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: 1 | 2 | 3;
  readonly authenticatedData: Uint8Array;
  readonly encryptedSenderData: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** MLSMessage (RFC 9420 §6). */
export type MlsMessage =
  | { readonly wireFormat: 1; readonly publicMessage: PublicMessage }
  | { readonly wireFormat: 2; readonly privateMessage: PrivateMessage }
  | { readonly wireFormat: 3; readonly welcome: Welcome }
  | { readonly wireFormat: 4; readonly groupInfo: GroupInfo }
  | { readonly wireFormat: 5; readonly keyPackage: KeyPackage };

/** Writes a Sender. */
export function writeSender(w: TlsWriter, s: Sender): void {
  w.uint8(s.senderType);
  if (s.senderType === SenderType.member) w.uint32(s.leafIndex);
  else if (s.senderType === SenderType.external) w.uint32(s.senderIndex);
}

/** Reads a Sender. */
export function readSender(r: TlsReader): Sender {
  const senderType = checkEnum(r.uint8(), [1, 2, 3, 4] as const, 'sender type');
  if (senderType === SenderType.member) return { senderType, leafIndex: r.uint32() };
  if (senderType === SenderType.external) return { senderType, senderIndex: r.uint32() };
  return { senderType };
}

/** Writes the content-type byte and the body selected by it. */
export function writeFramedBody(w: TlsWriter, b: FramedBody): void {
  w.uint8(b.contentType);
  writeBodyOnly(w, b);
}

/** Writes the body selected by the content type, without the type byte. */
export function writeBodyOnly(w: TlsWriter, b: FramedBody): void {
  if (b.contentType === ContentType.application) writeOpaque(w, b.applicationData);
  else if (b.contentType === ContentType.proposal) writeProposal(w, b.proposal);
  else writeCommit(w, b.commit);
}

/** Reads the body for a known content type. */
export function readBodyOnly(r: TlsReader, contentType: 1 | 2 | 3): FramedBody {
  if (contentType === ContentType.application) {
    return { contentType, applicationData: readOpaque(r) };
  }
  if (contentType === ContentType.proposal) return { contentType, proposal: readProposal(r) };
  return { contentType, commit: readCommit(r) };
}

/** Reads a content-type byte. */
export function readContentType(r: TlsReader): 1 | 2 | 3 {
  return checkEnum(r.uint8(), [1, 2, 3] as const, 'content type');
}

/** Writes a FramedContent. */
export function writeFramedContent(w: TlsWriter, c: FramedContent): void {
  writeOpaque(w, c.groupId);
  w.uint64(c.epoch);
  writeSender(w, c.sender);
  writeOpaque(w, c.authenticatedData);
  writeFramedBody(w, c);
}

/** Reads a FramedContent. */
export function readFramedContent(r: TlsReader): FramedContent {
  const groupId = readOpaque(r);
  const epoch = r.uint64();
  const sender = readSender(r);
  const authenticatedData = readOpaque(r);
  const body = readBodyOnly(r, readContentType(r));
  return { groupId, epoch, sender, authenticatedData, ...body };
}

/** Writes FramedContentAuthData; the tag must be present exactly when the content is a commit. */
export function writeAuthData(w: TlsWriter, contentType: number, a: FramedContentAuthData): void {
  writeOpaque(w, a.signature);
  const isCommit = contentType === ContentType.commit;
  if (isCommit !== (a.confirmationTag !== undefined)) {
    throw new MlsError('MISUSE', 'a confirmation tag belongs on commits and only there');
  }
  if (a.confirmationTag !== undefined) writeOpaque(w, a.confirmationTag);
}

/** Reads FramedContentAuthData for content of `contentType`. */
export function readAuthData(r: TlsReader, contentType: number): FramedContentAuthData {
  const signature = readOpaque(r);
  if (contentType !== ContentType.commit) return { signature };
  return { signature, confirmationTag: readOpaque(r) };
}

/** Writes an AuthenticatedContent. */
export function writeAuthenticatedContent(w: TlsWriter, a: AuthenticatedContent): void {
  w.uint16(a.wireFormat);
  writeFramedContent(w, a.content);
  writeAuthData(w, a.content.contentType, a.auth);
}

/** Reads an AuthenticatedContent (of a PublicMessage or PrivateMessage). */
export function readAuthenticatedContent(r: TlsReader): AuthenticatedContent {
  const wireFormat = checkEnum(r.uint16(), [1, 2] as const, 'framed wire format');
  const content = readFramedContent(r);
  return { wireFormat, content, auth: readAuthData(r, content.contentType) };
}

/** The TLS encoding of an AuthenticatedContent. */
export function encodeAuthenticatedContent(a: AuthenticatedContent): Uint8Array {
  return encodeWith(a, writeAuthenticatedContent);
}

/** Decodes an AuthenticatedContent, which must use all of `bytes`. */
export function decodeAuthenticatedContent(bytes: Uint8Array): AuthenticatedContent {
  return decodeWith(bytes, 'AuthenticatedContent', readAuthenticatedContent);
}

/**
 * FramedContentTBS (RFC 9420 §6.1): what a framed message's signature covers. The group
 * context is included for member and new-member-commit senders, and must be given for them.
 */
export function encodeFramedContentTbs(
  wireFormat: 1 | 2,
  content: FramedContent,
  context: GroupContext | undefined,
): Uint8Array {
  const w = new TlsWriter();
  writeFramedContentTbs(w, wireFormat, content, context);
  return w.finish();
}

function writeFramedContentTbs(
  w: TlsWriter,
  wireFormat: 1 | 2,
  content: FramedContent,
  context: GroupContext | undefined,
): void {
  w.uint16(PROTOCOL_VERSION_MLS10).uint16(wireFormat);
  writeFramedContent(w, content);
  const type = content.sender.senderType;
  if (type === SenderType.member || type === SenderType.newMemberCommit) {
    if (context === undefined) {
      throw new MlsError(
        'MISUSE',
        'a member or new-member-commit signature covers the group context',
      );
    }
    writeGroupContext(w, context);
  }
}

/** AuthenticatedContentTBM (RFC 9420 §6.2): what the membership tag covers. */
export function encodeAuthenticatedContentTbm(
  content: FramedContent,
  auth: FramedContentAuthData,
  context: GroupContext,
): Uint8Array {
  const w = new TlsWriter();
  writeFramedContentTbs(w, WireFormat.publicMessage, content, context);
  writeAuthData(w, content.contentType, auth);
  return w.finish();
}

function writePublicMessage(w: TlsWriter, m: PublicMessage): void {
  writeFramedContent(w, m.content);
  writeAuthData(w, m.content.contentType, m.auth);
  const isMember = m.content.sender.senderType === SenderType.member;
  if (isMember !== (m.membershipTag !== undefined)) {
    throw new MlsError('MISUSE', 'a membership tag belongs on member messages and only there');
  }
  if (m.membershipTag !== undefined) writeOpaque(w, m.membershipTag);
}

function readPublicMessage(r: TlsReader): PublicMessage {
  const content = readFramedContent(r);
  const auth = readAuthData(r, content.contentType);
  if (content.sender.senderType !== SenderType.member) return { content, auth };
  return { content, auth, membershipTag: readOpaque(r) };
}

function writePrivateMessage(w: TlsWriter, m: PrivateMessage): void {
  writeOpaque(w, m.groupId);
  w.uint64(m.epoch).uint8(m.contentType);
  writeOpaque(w, m.authenticatedData);
  writeOpaque(w, m.encryptedSenderData);
  writeOpaque(w, m.ciphertext);
}

function readPrivateMessage(r: TlsReader): PrivateMessage {
  return {
    groupId: readOpaque(r),
    epoch: r.uint64(),
    contentType: readContentType(r),
    authenticatedData: readOpaque(r),
    encryptedSenderData: readOpaque(r),
    ciphertext: readOpaque(r),
  };
}

/** Writes an MLSMessage. */
export function writeMlsMessage(w: TlsWriter, m: MlsMessage): void {
  w.uint16(PROTOCOL_VERSION_MLS10).uint16(m.wireFormat);
  switch (m.wireFormat) {
    case WireFormat.publicMessage:
      writePublicMessage(w, m.publicMessage);
      return;
    case WireFormat.privateMessage:
      writePrivateMessage(w, m.privateMessage);
      return;
    case WireFormat.welcome:
      writeWelcome(w, m.welcome);
      return;
    case WireFormat.groupInfo:
      writeGroupInfo(w, m.groupInfo);
      return;
    case WireFormat.keyPackage:
      writeKeyPackage(w, m.keyPackage);
      return;
  }
}

/** Reads an MLSMessage. */
export function readMlsMessage(r: TlsReader): MlsMessage {
  const version = r.uint16();
  if (version !== PROTOCOL_VERSION_MLS10) {
    throw new MlsError('INVALID_ENCODING', `unsupported protocol version ${version}`);
  }
  const wireFormat = checkEnum(r.uint16(), [1, 2, 3, 4, 5] as const, 'wire format');
  if (wireFormat === WireFormat.publicMessage) {
    return { wireFormat, publicMessage: readPublicMessage(r) };
  }
  if (wireFormat === WireFormat.privateMessage) {
    return { wireFormat, privateMessage: readPrivateMessage(r) };
  }
  if (wireFormat === WireFormat.welcome) return { wireFormat, welcome: readWelcome(r) };
  if (wireFormat === WireFormat.groupInfo) return { wireFormat, groupInfo: readGroupInfo(r) };
  return { wireFormat, keyPackage: readKeyPackage(r) };
}

/** The TLS encoding of an MLSMessage. */
export function encodeMlsMessage(m: MlsMessage): Uint8Array {
  return encodeWith(m, writeMlsMessage);
}

/** Decodes an MLSMessage, which must use all of `bytes`. */
export function decodeMlsMessage(bytes: Uint8Array): MlsMessage {
  return decodeWith(bytes, 'MLSMessage', readMlsMessage);
}
