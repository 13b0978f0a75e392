/** The composer: Enter sends, Shift+Enter starts a new line. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function Composer(props: { state: AppState; title: string }): JSX.Element {
  const [text, setText] = createSignal('');
  const [error, setError] = createSignal<string>();

  const send = async (): Promise<void> => {
    const t = text();
    if (t.trim() === '') return;
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
      <Show when={error()}>
        <p role="alert" class="error">
          {error()}
        </p>
      </Show>
      <div class="composer-row">
        <TextField class="field grow" value={text()} onChange={setText}>
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
        <Button type="submit" class="button primary">
          Send
        </Button>
      </div>
    </form>
  );
}
