/**
 * A group's members, from its MLS state (never from the relay): add people, remove them, leave.
 * Every change also appears in the timeline with who made it.
 */
import { Button } from '@kobalte/core/button';
// Namespace imports: Kobalte's `Dialog` and `AlertDialog` objects share one root function, so
// whichever loads last would overwrite the other's `Content` (and its role).
import * as Dialog from '@kobalte/core/dialog';
import { TextField } from '@kobalte/core/text-field';
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { ConversationId } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { ConfirmButton } from './ConfirmButton.jsx';
import { errorText } from './errors.js';
import { splitNames } from './group-names.js';

export function GroupDialog(props: {
  state: AppState;
  conv: ConversationId;
  title: string;
}): JSX.Element {
  const [open, setOpen] = createSignal(false);
  const [info, { refetch }] = createResource(
    () => (open() ? props.conv : undefined),
    (conv) => props.state.link.request('groupInfo', { conv }),
  );
  const [add, setAdd] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const active = () => info()?.status === 'active';

  const run = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      await refetch();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog.Root open={open()} onOpenChange={setOpen}>
      <Dialog.Trigger class="button">Group info</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="overlay" />
        <div class="dialog-position">
          <Dialog.Content class="dialog">
            <Dialog.Title class="dialog-title">{props.title}</Dialog.Title>
            <Dialog.Description class="dialog-description">
              Members as the group’s encrypted state says; the relay cannot add anyone unseen.
            </Dialog.Description>
            <Show when={(info.error as unknown) !== undefined}>
              <p role="alert" class="error">
                {errorText(info.error as unknown)}
              </p>
            </Show>
            <Show when={info()}>
              {(g) => (
                <>
                  <Show when={g().status !== 'active'}>
                    <p class="badge warning">
                      {g().status === 'leaving'
                        ? 'You are leaving this group.'
                        : g().status === 'left'
                          ? 'You left this group.'
                          : 'You were removed from this group.'}
                    </p>
                  </Show>
                  <Show when={g().blocked}>
                    <p class="badge warning">
                      This group stopped at a refused change ({g().blocked}).
                    </p>
                  </Show>
                  <h3 class="field-label">{g().members.length} members</h3>
                  <ul class="members">
                    <For each={g().members}>
                      {(m) => (
                        <li class="member">
                          <span>
                            {m.you ? `${m.username} (you)` : m.username}, {m.devices} device
                            {m.devices === 1 ? '' : 's'}
                          </span>
                          <Show when={!m.you && active()}>
                            <Button
                              class="button small"
                              disabled={busy()}
                              onClick={() =>
                                void run(() =>
                                  props.state.link.request('removeMembers', {
                                    conv: props.conv,
                                    usernames: [m.username],
                                  }),
                                )
                              }
                            >
                              Remove {m.username}
                            </Button>
                          </Show>
                        </li>
                      )}
                    </For>
                  </ul>
                  <Show when={active()}>
                    <form
                      onSubmit={(e) => {
                        e.preventDefault();
                        void run(async () => {
                          await props.state.link.request('addMembers', {
                            conv: props.conv,
                            usernames: splitNames(add()),
                          });
                          setAdd('');
                        });
                      }}
                    >
                      <TextField class="field" value={add()} onChange={setAdd}>
                        <TextField.Label class="field-label">Add people</TextField.Label>
                        <TextField.Input
                          class="field-input"
                          autocapitalize="none"
                          spellcheck={false}
                        />
                        <TextField.Description class="field-help">
                          Usernames, separated by spaces or commas.
                        </TextField.Description>
                      </TextField>
                      <Button type="submit" class="button primary" disabled={busy()}>
                        Add
                      </Button>
                    </form>
                  </Show>
                  <Show when={error()}>
                    <p role="alert" class="error">
                      {error()}
                    </p>
                  </Show>
                  <div class="dialog-actions">
                    <Dialog.CloseButton class="button" aria-label="Close">
                      Close
                    </Dialog.CloseButton>
                    <Show when={active()}>
                      <ConfirmButton
                        label="Leave group"
                        title={`Leave ${props.title}?`}
                        description="You stop receiving its messages; the others see that you left."
                        confirm="Leave"
                        onConfirm={async () => {
                          await props.state.link.request('leaveGroup', { conv: props.conv });
                          await refetch();
                        }}
                      />
                    </Show>
                  </div>
                </>
              )}
            </Show>
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
