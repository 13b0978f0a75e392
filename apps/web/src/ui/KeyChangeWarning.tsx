/**
 * The blocking warning after a contact's key changed: nothing is sent until the user accepts
 * the new key (ideally after comparing safety numbers).
 */
import { Button } from '@kobalte/core/button';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function KeyChangeWarning(props: { state: AppState; username: string }): JSX.Element {
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const accept = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.state.link.request('acceptKey', { username: props.username });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="key-change" role="alert" aria-labelledby="key-change-title">
      <h3 id="key-change-title">{props.username}’s safety number changed</h3>
      <p>
        {props.username} may have reinstalled Parley or changed their account — or someone may be
        trying to intercept your messages. Compare the new safety number with {props.username} (in
        person or over another channel). Nothing is sent until you accept the new key.
      </p>
      <Show when={error()}>
        <p class="error">{error()}</p>
      </Show>
      <Button class="button primary" disabled={busy()} onClick={() => void accept()}>
        Accept the new key
      </Button>
    </section>
  );
}
