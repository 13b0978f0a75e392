/** Set, change or remove the passphrase that locks local data; lock now. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function Passphrase(props: {
  state: AppState;
  set: boolean;
  changed: () => void;
}): JSX.Element {
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [repeat, setRepeat] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [done, setDone] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);

  const run = async (
    params: { current?: string; next?: string },
    message: string,
  ): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await props.state.link.request('setPassphrase', params);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(message);
      props.changed();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    if (next() !== repeat()) {
      setError('The two passphrases differ.');
      return;
    }
    void run(
      { ...(props.set && { current: current() }), next: next() },
      props.set ? 'Passphrase changed.' : 'Passphrase set. Parley asks for it when it opens.',
    );
  };

  return (
    <>
      <p>
        {props.set
          ? 'Local data is locked with a passphrase: Parley asks for it when it opens.'
          : 'Lock local data with a passphrase, so that nobody using this browser can open it without it.'}
      </p>
      <form onSubmit={submit}>
        <Show when={props.set}>
          <TextField class="field" value={current()} onChange={setCurrent}>
            <TextField.Label class="field-label">Current passphrase</TextField.Label>
            <TextField.Input class="field-input" type="password" autocomplete="current-password" />
          </TextField>
        </Show>
        <TextField class="field" value={next()} onChange={setNext}>
          <TextField.Label class="field-label">New passphrase</TextField.Label>
          <TextField.Input class="field-input" type="password" autocomplete="new-password" />
          <TextField.Description class="field-help">At least 8 characters.</TextField.Description>
        </TextField>
        <TextField class="field" value={repeat()} onChange={setRepeat}>
          <TextField.Label class="field-label">Repeat the new passphrase</TextField.Label>
          <TextField.Input class="field-input" type="password" autocomplete="new-password" />
        </TextField>
        <Show when={error()}>
          <p role="alert" class="error">
            {error()}
          </p>
        </Show>
        <Show when={done()}>
          <p role="status">{done()}</p>
        </Show>
        <div class="row">
          <Button type="submit" class="button primary" disabled={busy()}>
            {props.set ? 'Change passphrase' : 'Set passphrase'}
          </Button>
          <Show when={props.set}>
            <Button
              class="button"
              disabled={busy()}
              onClick={() => void run({ current: current() }, 'Passphrase removed.')}
            >
              Remove passphrase
            </Button>
            <Button
              class="button"
              disabled={busy()}
              onClick={() => {
                props.state.link.request('lock', {}).catch((e: unknown) => setError(errorText(e)));
              }}
            >
              Lock now
            </Button>
          </Show>
        </div>
      </form>
    </>
  );
}
