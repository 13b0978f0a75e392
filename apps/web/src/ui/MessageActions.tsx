/**
 * The actions on one message: reply (a quote bar in the composer), react (a small set of emoji,
 * each a toggle for our own reaction), and for our own messages edit (the composer takes the
 * text) and delete for everyone (after a confirmation). Plain buttons, in the message's tab
 * order; Escape closes the emoji choice.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import type { TimelineItem } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { ConfirmButton } from './ConfirmButton.jsx';
import { errorText } from './errors.js';

/** The reactions offered (any other arrives and shows just the same). */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/** The composer's text box (focused when a reply or an edit starts). */
export const COMPOSER_INPUT_ID = 'composer-input';

function focusComposer(): void {
  queueMicrotask(() => document.getElementById(COMPOSER_INPUT_ID)?.focus());
}

export function MessageActions(props: { state: AppState; item: TimelineItem }): JSX.Element {
  const [picking, setPicking] = createSignal(false);
  const own = () => props.item.direction === 'out';
  const mine = () => props.item.reactions?.find((r) => r.mine)?.emoji;
  const pickerId = () => `react-${props.item.id}`;
  let reactButton: HTMLButtonElement | undefined;

  const react = (emoji: string): void => {
    setPicking(false);
    reactButton?.focus();
    props.state.link
      .request('react', {
        conv: props.item.conv,
        id: props.item.id,
        emoji,
        remove: mine() === emoji,
      })
      .catch((e: unknown) => props.state.announce(errorText(e)));
  };

  return (
    <div class="message-actions" role="group" aria-label="Message actions">
      <button
        type="button"
        class="button small"
        onClick={() => {
          props.state.setDraft({ kind: 'reply', item: props.item });
          focusComposer();
        }}
      >
        Reply
      </button>
      <button
        type="button"
        class="button small"
        ref={(el) => {
          reactButton = el;
        }}
        aria-expanded={picking()}
        aria-controls={picking() ? pickerId() : undefined}
        onClick={() => setPicking((p) => !p)}
      >
        React
      </button>
      <Show when={own()}>
        <button
          type="button"
          class="button small"
          onClick={() => {
            props.state.setDraft({ kind: 'edit', item: props.item });
            focusComposer();
          }}
        >
          Edit
        </button>
        <ConfirmButton
          label="Delete"
          small
          title="Delete this message for everyone?"
          description="It is erased on every device of everyone in the conversation; a note that a message was deleted stays. This cannot be undone."
          confirm="Delete for everyone"
          onConfirm={() =>
            props.state.link.request('deleteMessage', {
              conv: props.item.conv,
              id: props.item.id,
            })
          }
        />
      </Show>
      <Show when={picking()}>
        <div
          class="reaction-picker"
          id={pickerId()}
          role="group"
          aria-label="Choose a reaction"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              setPicking(false);
              reactButton?.focus();
            }
          }}
        >
          <For each={REACTIONS}>
            {(emoji) => (
              <button
                type="button"
                class="button small emoji"
                aria-label={`React with ${emoji}`}
                aria-pressed={mine() === emoji}
                onClick={() => react(emoji)}
              >
                {emoji}
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}
