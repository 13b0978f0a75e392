/** First run: create an account on this relay. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { requestPersistence } from './persistence.dom.js';

export function Welcome(props: { state: AppState }): JSX.Element {
  const [username, setUsername] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  const register = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    // After a user gesture, ask the browser to keep our storage (it may refuse; Settings says so).
    void requestPersistence();
    try {
      await props.state.link.request('register', { username: username() });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="centered welcome">
      <h1>Parley</h1>
      <p>
        Messages encrypted end to end: this relay stores and forwards them, but cannot read them,
        join your conversations or add a device without you seeing it.
      </p>
      <section aria-labelledby="register-heading" class="card">
        <h2 id="register-heading">Create an account</h2>
        <form onSubmit={(e) => void register(e)}>
          <TextField
            class="field"
            value={username()}
            onChange={setUsername}
            required
            validationState={error() === undefined ? 'valid' : 'invalid'}
          >
            <TextField.Label class="field-label">Username</TextField.Label>
            <TextField.Input
              class="field-input"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
            />
            <TextField.Description class="field-help">
              Others find you by it. Letters, digits, dots, dashes and underscores.
            </TextField.Description>
          </TextField>
          <Show when={error()}>
            <p role="alert" class="error">
              {error()}
            </p>
          </Show>
          <Button type="submit" class="button primary" disabled={busy()}>
            {busy() ? 'Creating your keys…' : 'Create account'}
          </Button>
        </form>
      </section>
    </main>
  );
}
