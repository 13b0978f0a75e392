/** Local data is locked with a passphrase: type it to open Parley, or wipe and start again. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { ConfirmButton } from './ConfirmButton.jsx';
import { errorText } from './errors.js';

export function Locked(props: { state: AppState }): JSX.Element {
  const [passphrase, setPassphrase] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const unlock = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.state.link.request('unlock', { passphrase: passphrase() });
      setPassphrase('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="centered" aria-labelledby="locked-heading">
      <h1 id="locked-heading">Parley is locked</h1>
      <p>Your keys and messages in this browser are locked with your passphrase.</p>
      <form onSubmit={(e) => void unlock(e)}>
        <TextField
          class="field"
          value={passphrase()}
          onChange={setPassphrase}
          validationState={error() === undefined ? 'valid' : 'invalid'}
        >
          <TextField.Label class="field-label">Passphrase</TextField.Label>
          <TextField.Input class="field-input" type="password" autocomplete="current-password" />
        </TextField>
        <Show when={error()}>
          <p role="alert" class="error">
            {error()}
          </p>
        </Show>
        <Button type="submit" class="button primary" disabled={busy()}>
          Unlock
        </Button>
      </form>
      <ConfirmButton
        label="Forgot it? Wipe local data"
        title="Wipe local data?"
        description="This deletes every key and message in this browser. Your account stays at the relay; link this browser again from your primary device, or register anew."
        confirm="Wipe"
        onConfirm={() => props.state.link.request('wipe', {})}
      />
    </main>
  );
}
