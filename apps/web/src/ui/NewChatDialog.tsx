/** "New chat": a username, checked at the relay, opens the conversation. */
import { Button } from '@kobalte/core/button';
// Namespace imports: Kobalte's `Dialog` and `AlertDialog` objects share one root function, so
// whichever loads last would overwrite the other's `Content` (and its role).
import * as Dialog from '@kobalte/core/dialog';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function NewChatDialog(props: { state: AppState }): JSX.Element {
  const [open, setOpen] = createSignal(false);
  const [username, setUsername] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);

  const start = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const summary = await props.state.link.request('openDirect', { username: username() });
      setOpen(false);
      setUsername('');
      await props.state.openConversation(summary.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog.Root open={open()} onOpenChange={setOpen}>
      <Dialog.Trigger class="button primary">New chat</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="overlay" />
        <div class="dialog-position">
          <Dialog.Content class="dialog">
            <Dialog.Title class="dialog-title">New chat</Dialog.Title>
            <Dialog.Description class="dialog-description">
              Enter the username of the person you want to write to.
            </Dialog.Description>
            <form onSubmit={(e) => void start(e)}>
              <TextField
                class="field"
                value={username()}
                onChange={setUsername}
                required
                validationState={error() === undefined ? 'valid' : 'invalid'}
              >
                <TextField.Label class="field-label">Username</TextField.Label>
                <TextField.Input class="field-input" autocapitalize="none" spellcheck={false} />
              </TextField>
              <Show when={error()}>
                <p role="alert" class="error">
                  {error()}
                </p>
              </Show>
              <div class="dialog-actions">
                <Dialog.CloseButton class="button" aria-label="Cancel">
                  Cancel
                </Dialog.CloseButton>
                <Button type="submit" class="button primary" disabled={busy()}>
                  Start chat
                </Button>
              </div>
            </form>
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
