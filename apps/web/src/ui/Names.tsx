/**
 * Contacts' display names and avatars as the page shows them. A name is the contact's own
 * choice, so it is only ever text (never markup), cut short by CSS, and the username stays in
 * reach: in a conversation's header and beside a group sender's name, so one contact cannot pass
 * for another by choosing the same name.
 */
import { Show, type JSX } from 'solid-js';
import { parseConvId, type ConversationSummary } from '../engine/protocol.js';
import type { AppState } from './app-state.js';

/** The username of a direct conversation, else undefined. */
export function directUser(c: ConversationSummary | undefined): string | undefined {
  const t = c && parseConvId(c.id);
  return t?.kind === 'direct' ? t.username : undefined;
}

/** A conversation's title as the list shows it: a contact's display name, else the title. */
export function shownTitle(state: AppState, c: ConversationSummary): string {
  const u = directUser(c);
  return (u !== undefined ? state.nameOf(u) : undefined) ?? c.title;
}

/** A contact's small avatar (decorative: the name is beside it), if they set one. */
export function Avatar(props: { state: AppState; username: string | undefined }): JSX.Element {
  return (
    <Show when={props.username !== undefined && props.state.avatarOf(props.username)}>
      {(src) => <img class="avatar" src={src()} alt="" width="32" height="32" />}
    </Show>
  );
}

/** A person's name and, when it differs, their username after it. */
export function PersonName(props: { state: AppState; username: string }): JSX.Element {
  const name = () => props.state.nameOf(props.username);
  return (
    <Show when={name() !== undefined && name() !== props.username} fallback={props.username}>
      <span class="display-name">{name()}</span> <span class="handle">({props.username})</span>
    </Show>
  );
}

/** "NAME is typing…" for the open conversation's typists; empty when nobody is. */
export function typingText(state: AppState): string {
  const who = state.typing().map((u) => state.nameOf(u) ?? u);
  if (who.length === 0) return '';
  if (who.length === 1) return `${who[0] ?? ''} is typing…`;
  if (who.length === 2) return `${who[0] ?? ''} and ${who[1] ?? ''} are typing…`;
  return 'Several people are typing…';
}
