/**
 * What a message shows besides its text: the message it replies to (a click moves to it), the
 * "edited" mark with the earlier texts behind a disclosure, the tombstone of a message deleted
 * for everyone, and the reactions under it (each a toggle for our own).
 */
import { For, Show, type JSX } from 'solid-js';
import type { QuoteView, ReactionView, TimelineItem } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { formatTime } from './format.js';

export function Quote(props: { quote: QuoteView; onOpen: (id: string) => void }): JSX.Element {
  // The visible text is the accessible name ("Reply to bob: the start of it"), the prefix
  // hidden from sight only.
  return (
    <button
      type="button"
      class="quote"
      title="Show the message replied to"
      onClick={() => props.onOpen(props.quote.id)}
    >
      <span class="visually-hidden">Reply to </span>
      <Show
        when={props.quote.sender}
        fallback={<span class="quote-text">an earlier message, not loaded here</span>}
      >
        {(sender) => (
          <>
            <span class="quote-sender">{sender()}</span>:{' '}
            <span class="quote-text">
              {props.quote.deleted === true
                ? 'This message was deleted'
                : (props.quote.excerpt ?? '')}
            </span>
          </>
        )}
      </Show>
    </button>
  );
}

/** The "edited" mark: a disclosure listing the earlier texts, oldest first. */
export function Edited(props: { edits: TimelineItem['edits'] }): JSX.Element {
  return (
    <details class="edited">
      <summary>Edited</summary>
      <ol class="edit-history" aria-label="Earlier versions">
        <For each={props.edits}>
          {(e) => (
            <li>
              <span class="edit-text">{e.text}</span>{' '}
              <span class="hint">
                (until{' '}
                <time datetime={new Date(e.replacedAt).toISOString()}>
                  {formatTime(e.replacedAt)}
                </time>
                )
              </span>
            </li>
          )}
        </For>
      </ol>
    </details>
  );
}

/** A reaction's accessible name: the emoji, how many, and who. */
export function reactionLabel(r: ReactionView): string {
  return `${r.emoji} ${r.by.length}: ${r.by.join(', ')}`;
}

/** The reactions under a message; each toggles ours (adds that emoji, or takes it back). */
export function Reactions(props: { state: AppState; item: TimelineItem }): JSX.Element {
  const toggle = (r: ReactionView): void => {
    props.state.link
      .request('react', {
        conv: props.item.conv,
        id: props.item.id,
        emoji: r.emoji,
        remove: r.mine,
      })
      .catch((e: unknown) => props.state.announce(errorText(e)));
  };
  return (
    <ul class="reactions" aria-label="Reactions">
      <For each={props.item.reactions}>
        {(r) => (
          <li>
            <button
              type="button"
              class="reaction"
              aria-pressed={r.mine}
              aria-label={reactionLabel(r)}
              title={r.by.join(', ')}
              disabled={props.item.deleted === true}
              onClick={() => toggle(r)}
            >
              <span aria-hidden="true">{r.emoji}</span>{' '}
              <span aria-hidden="true">{r.by.length}</span>
            </button>
          </li>
        )}
      </For>
    </ul>
  );
}

/** The text of a message, or its tombstone. */
export function MessageText(props: { item: TimelineItem; id: string }): JSX.Element {
  return (
    <Show
      when={props.item.deleted !== true}
      fallback={
        <p class="text tombstone" id={props.id}>
          This message was deleted
        </p>
      }
    >
      <p class="text" id={props.id}>
        {props.item.text}
      </p>
    </Show>
  );
}
