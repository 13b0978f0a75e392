/** "New group": a name and the people in it. */
import { Button } from '@kobalte/core/button';
// Namespace imports: Kobalte's `Dialog` and `AlertDialog` objects share one root function, so
// whichever loads last would overwrite the other's `Content` (and its role).
import * as Dialog from '@kobalte/core/dialog';
import { TextField } from '@kobalte/core/text-field';
import { createSignal, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { splitNames } from './group-names.js';

export function NewGroupDialog(props: { state: AppState }): JSX.Element {
  const [open, setOpen] = createSignal(false);
  const [name, setName] = createSignal('');
  const [members, setMembers] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);

  const create = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const summary = await props.state.link.request('createGroup', {
        name: name(),
        members: splitNames(members()),
      });
      setOpen(false);
      setName('');
      setMembers('');
      await props.state.openConversation(summary.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog.Root open={open()} onOpenChange={setOpen}>
      <Dialog.Trigger class="button">New group</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="overlay" />
        <div class="dialog-position">
          <Dialog.Content class="dialog">
            <Dialog.Title class="dialog-title">New group</Dialog.Title>
            <Dialog.Description class="dialog-description">
              The name stays inside the group’s encryption; the relay never sees it.
            </Dialog.Description>
            <form onSubmit={(e) => void create(e)}>
              <TextField class="field" value={name()} onChange={setName} required>
                <TextField.Label class="field-label">Group name</TextField.Label>
                <TextField.Input class="field-input" />
              </TextField>
              <TextField class="field" value={members()} onChange={setMembers}>
                <TextField.Label class="field-label">Members</TextField.Label>
                <TextField.Input class="field-input" autocapitalize="none" spellcheck={false} />
                <TextField.Description class="field-help">
                  Usernames, separated by spaces or commas.
                </TextField.Description>
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
                  {busy() ? 'Creating…' : 'Create group'}
                </Button>
              </div>
            </form>
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
