/**
 * Shown instead of the app when the relay offers code other than the build this browser pinned:
 * the old and the new root side by side, and nothing new runs until the person chooses to.
 */
import { Button } from '@kobalte/core/button';
import { createSignal, Show, type JSX } from 'solid-js';
import { acceptCode, type CodeChange as Change } from '../integrity/pin.dom.js';

export function CodeChange(props: { change: Change; onKeep: () => void }): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const accept = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await acceptCode(props.change.offered);
      location.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : 'The new code could not be checked.');
      setBusy(false);
    }
  };
  return (
    <main class="centered" aria-labelledby="code-change-heading">
      <h1 id="code-change-heading">The relay offers different code</h1>
      <p>
        This browser runs the Parley web client it pinned before. The relay now serves a different
        build, and it will not run until you choose it. Compare the new root with the one your
        project publishes (release notes, <code>parley web verify</code>) before you switch.
      </p>
      <dl class="about">
        <dt>Running now</dt>
        <dd class="code-root" data-testid="pinned-root">
          {props.change.pinned}
        </dd>
        <dt>Offered by the relay</dt>
        <dd class="code-root" data-testid="offered-root">
          {props.change.offered}
        </dd>
      </dl>
      <Show when={error()}>
        <p role="alert">{error()}</p>
      </Show>
      <div class="row">
        <Button class="button" disabled={busy()} onClick={() => props.onKeep()}>
          Keep running this version
        </Button>
        <Button class="button primary" disabled={busy()} onClick={() => void accept()}>
          {busy() ? 'Checking the new code…' : 'Switch to the new code'}
        </Button>
      </div>
    </main>
  );
}
