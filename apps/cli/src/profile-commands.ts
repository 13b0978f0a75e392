/** `parley profile …`: set, show and rotate; and the sender names shown beside usernames. */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { ClientEvent, ParleyClient, Profile } from '@parley/client';
import { ClientError } from '@parley/client';
import { UsageError, type Args } from './args.js';

/** Largest avatar file: it rides in the encrypted profile (at most 96 KiB sealed, in base64). */
export const MAX_AVATAR_BYTES = 64 * 1024;

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

function avatarOf(path: string): NonNullable<Profile['avatar']> {
  const contentType = IMAGE_TYPES[extname(path).toLowerCase()];
  if (contentType === undefined) throw new UsageError('--avatar takes a .png, .jpg or .webp file');
  if (statSync(path).size > MAX_AVATAR_BYTES)
    throw new UsageError(`--avatar files are at most ${MAX_AVATAR_BYTES / 1024} KiB`);
  return { contentType, data: readFileSync(path).toString('base64') };
}

function profileJson(username: string, p: Profile | undefined): object {
  if (p === undefined) return { username, profile: null };
  const avatar =
    p.avatar === undefined
      ? {}
      : {
          avatar: {
            contentType: p.avatar.contentType,
            bytes: Buffer.from(p.avatar.data, 'base64').length,
          },
        };
  return { username, name: p.name, ...avatar };
}

export async function runProfileCommand(
  client: ParleyClient,
  args: Args,
  words: readonly string[],
  emit: (human: string, json: object) => void,
): Promise<number> {
  switch (words[0]) {
    case 'set': {
      if (args.name === undefined) throw new UsageError('profile set needs --name N');
      const avatar = args.avatar === undefined ? {} : { avatar: avatarOf(args.avatar) };
      await client.setProfile({ name: args.name, ...avatar });
      emit(`profile set: ${args.name}`, { name: args.name, avatar: args.avatar !== undefined });
      return 0;
    }
    case 'show': {
      const username = words[1];
      if (username === undefined) throw new UsageError('missing USERNAME');
      const p = await client.profile(username);
      const human =
        p === undefined
          ? `${username} has not shared a profile with you`
          : `${username}: ${p.name}${p.avatar === undefined ? '' : ` (avatar: ${p.avatar.contentType})`}`;
      emit(human, profileJson(username, p));
      return 0;
    }
    case 'rotate':
      await client.rotateProfileKey();
      emit('profile key rotated; contacts get the new one with your next message', {
        rotated: true,
      });
      return 0;
    default:
      throw new UsageError('profile set|show|rotate');
  }
}

/**
 * Reads the profiles of message senders whose names we have not read yet (once per sender per
 * run; a sender who shared no key costs no request), so names can be shown beside usernames.
 */
export async function readSenderNames(
  client: ParleyClient,
  events: readonly ClientEvent[],
): Promise<void> {
  const senders = new Set(
    events.flatMap((e) =>
      e.type === 'message' && client.nameOf(e.message.peer) === undefined ? [e.from] : [],
    ),
  );
  for (const username of senders)
    await client.profile(username).catch((e: unknown) => {
      if (!(e instanceof ClientError)) throw e;
    });
}

/** The sender's profile name for a message event, if we have read one. */
export function senderNameOf(client: ParleyClient, e: ClientEvent): string | undefined {
  return e.type === 'message' ? client.nameOf(e.message.peer) : undefined;
}
