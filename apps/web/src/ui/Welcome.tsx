/** First run: create an account on this relay, or link this browser to an existing account. */
import { Button } from '@kobalte/core/button';
import { Tabs } from '@kobalte/core/tabs';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { requestPersistence } from './persistence.dom.js';

export function Welcome(props: { state: AppState }): JSX.Element {
  return (
    <main class="centered welcome">
      <h1>Parley</h1>
      <p>
        Messages encrypted end to end: this relay stores and forwards them, but cannot read them,
        join your conversations or add a device without you seeing it.
      </p>
      <Tabs class="tabs" defaultValue="register">
        <Tabs.List class="tab-list" aria-label="Get started">
          <Tabs.Trigger class="tab" value="register">
            New account
          </Tabs.Trigger>
          <Tabs.Trigger class="tab" value="link">
            Link this browser
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content class="card" value="register">
          <Register state={props.state} />
        </Tabs.Content>
        <Tabs.Content class="card" value="link">
          <Link state={props.state} />
        </Tabs.Content>
      </Tabs>
    </main>
  );
}

function Register(props: { state: AppState }): JSX.Element {
  const [username, setUsername] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  const register = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    // After a user gesture, ask the browser to keep our storage (Settings shows its answer).
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
    <>
      <h2>Create an account</h2>
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
    </>
  );
}

function Link(props: { state: AppState }): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const start = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    void requestPersistence();
    try {
      await props.state.link.request('startLink', {});
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>Link this browser to your account</h2>
      <p>
        This browser becomes another device of an account you already have. It shows a code; on your
        primary device, open Settings, Devices, “Link a device”, and enter or scan it.
      </p>
      <Show when={error()}>
        <p role="alert" class="error">
          {error()}
        </p>
      </Show>
      <Button class="button primary" disabled={busy()} onClick={() => void start()}>
        Show a link code
      </Button>
    </>
  );
}
