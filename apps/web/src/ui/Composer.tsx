/**
 * The composer: Enter sends, Shift+Enter starts a new line. A reply shows the quoted message in
 * a bar above the text box, an edit shows what is being edited; both have Cancel (and Escape).
 * Files picked with "Attach files" go with the next message, encrypted by the engine.
 */
import { Button } from '@kobalte/core/button';
import { createEffect, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { formatSize } from './format.js';
import { COMPOSER_INPUT_ID } from './MessageActions.jsx';
import { typingSender } from './typing-sender.js';

/** Files one message carries (the SDK's `MAX_ATTACHMENTS_PER_MESSAGE`; the engine checks). */
const MAX_FILES = 4;

export function Composer(props: { state: AppState; title: string; blocked: boolean }): JSX.Element {
  const [text, setText] = createSignal('');
  const [files, setFiles] = createSignal<readonly File[]>([]);
  const [error, setError] = createSignal<string>();
  const draft = () => props.state.draft();

  // Editing starts from the message's text; leaving an edit leaves an empty box.
  createEffect(
    on(draft, (d, before) => {
      if (d?.kind === 'edit') setText(d.item.text);
      else if (before?.kind === 'edit') setText('');
    }),
  );

  const typing = typingSender((started) => {
    const conv = props.state.open();
    if (conv !== undefined && props.state.typingOn())
      props.state.link.request('typing', { conv, started }).catch(() => undefined);
  });
  // A new conversation starts with no typing said; leaving the page stops the idle timer.
  createEffect(on(() => props.state.open(), typing.reset));
  onCleanup(typing.reset);

  const cancel = (): void => {
    props.state.setDraft(undefined);
  };

  const send = async (): Promise<void> => {
    const t = text();
    const f = files();
    if ((t.trim() === '' && f.length === 0) || props.blocked) return;
    setText('');
    setFiles([]);
    setError(undefined);
    typing.reset();
    try {
      await props.state.send(t, f);
    } catch (e) {
      setError(errorText(e));
      // The failed draft came back (an edit brings its old text): what was typed wins.
      if (text() === '' || text() === draft()?.item.text) setText(t);
      if (files().length === 0) setFiles(f);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <Show when={props.blocked}>
        <p class="hint" id="composer-blocked">
          Sending is paused until you accept {props.title}’s new key.
        </p>
      </Show>
      <Show when={error()}>
        <p role="alert" class="error">
          {error()}
        </p>
      </Show>
      <Show when={draft()}>
        {(d) => (
          <div
            class="draft-bar"
            role="group"
            aria-label={d().kind === 'reply' ? 'Replying' : 'Editing'}
          >
            <p class="draft-text">
              <Show when={d().kind === 'reply'} fallback={<strong>Editing your message</strong>}>
                <strong>
                  Replying to {d().item.direction === 'out' ? 'yourself' : d().item.sender}
                </strong>
              </Show>{' '}
              <span class="quote-text">{d().item.text || d().item.attachments?.[0]?.name}</span>
            </p>
            <button
              type="button"
              class="button small"
              aria-label={d().kind === 'reply' ? 'Cancel the reply' : 'Cancel the edit'}
              onClick={cancel}
            >
              Cancel
            </button>
          </div>
        )}
      </Show>
      <Show when={files().length > 0}>
        <ul class="picked-files" aria-label="Files to send">
          <For each={files()}>
            {(f) => (
              <li>
                {f.name} <span class="hint">{formatSize(f.size)}</span>{' '}
                <button
                  type="button"
                  class="button small"
                  aria-label={`Remove ${f.name}`}
                  onClick={() => setFiles((list) => list.filter((x) => x !== f))}
                >
                  Remove
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="composer-row">
        <Show when={draft()?.kind !== 'edit'}>
          <input
            id="composer-files"
            class="visually-hidden"
            type="file"
            multiple
            disabled={props.blocked}
            onChange={(e) => {
              const picked = Array.from(e.currentTarget.files ?? []);
              e.currentTarget.value = '';
              const all = [...files(), ...picked];
              if (all.length > MAX_FILES) setError(`At most ${MAX_FILES} files in one message.`);
              setFiles(all.slice(0, MAX_FILES));
            }}
          />
          <label for="composer-files" class="button attach" title="Attach files">
            <span aria-hidden="true">📎</span>
            <span class="visually-hidden">Attach files</span>
          </label>
        </Show>
        {/* A plain label and text box (not a form-control component): it mounts with every
            conversation, and it grows with its text by CSS (`field-sizing`), not by measuring. */}
        <div class="field grow">
          <label class="visually-hidden" for={COMPOSER_INPUT_ID}>
            Message to {props.title}
          </label>
          <textarea
            id={COMPOSER_INPUT_ID}
            class="field-input composer-input"
            rows={1}
            value={text()}
            onInput={(e) => {
              const t = e.currentTarget.value;
              setText(t);
              if (draft()?.kind !== 'edit') typing.input(t);
            }}
            disabled={props.blocked}
            placeholder={draft()?.kind === 'edit' ? 'Edit your message' : 'Write a message'}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && draft() !== undefined) {
                e.preventDefault();
                cancel();
              } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void send();
              }
            }}
          />
        </div>
        <Button type="submit" class="button primary" disabled={props.blocked}>
          {draft()?.kind === 'edit' ? 'Save' : 'Send'}
        </Button>
      </div>
    </form>
  );
}
