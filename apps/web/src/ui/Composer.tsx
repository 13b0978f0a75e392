/** The composer: Enter sends, Shift+Enter starts a new line. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function Composer(props: { state: AppState; title: string; blocked: boolean }): JSX.Element {
  const [text, setText] = createSignal('');
  const [error, setError] = createSignal<string>();

  const send = async (): Promise<void> => {
    const t = text();
    if (t.trim() === '' || props.blocked) return;
    setText('');
    setError(undefined);
    try {
      await props.state.send(t);
    } catch (e) {
      setError(errorText(e));
      if (text() === '') setText(t);
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
      <div class="composer-row">
        <TextField class="field grow" value={text()} onChange={setText} disabled={props.blocked}>
          <TextField.Label class="visually-hidden">Message to {props.title}</TextField.Label>
          <TextField.TextArea
            class="field-input"
            rows={1}
            autoResize
            placeholder="Write a message"
            onKeyDown={(e: KeyboardEvent) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void send();
              }
            }}
          />
        </TextField>
        <Button type="submit" class="button primary" disabled={props.blocked}>
          Send
        </Button>
      </div>
    </form>
  );
}
