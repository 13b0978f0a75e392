/**
 * A conversation's disappearing-message timer: the header's button shows it ("Disappearing
 * messages: 1 hour"), and its dialog sets it for everyone in the conversation (off, 5 minutes,
 * 1 hour, 1 day, 1 week; a timer set elsewhere to another value is offered as it is).
 */
import { Button } from '@kobalte/core/button';
import * as Dialog from '@kobalte/core/dialog';
import { createSignal, lazy, Show, type JSX } from 'solid-js';
import type { ConversationId } from '../engine/protocol.js';
import { describeTimer, TIMER_CHOICES } from '../engine/timer-text.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

// The choices (with Kobalte's radio group) load when the dialog is first wanted: pointed at,
// focused or opened; not part of the signed-in start (`npm run bench -- web`).
const loadChoices = () => import('./TimerChoices.jsx');
const TimerChoices = lazy(() => loadChoices().then((m) => ({ default: m.TimerChoices })));

export function DisappearingDialog(props: { state: AppState; conv: ConversationId }): JSX.Element {
  const [open, setOpen] = createSignal(false);
  const [chosen, setChosen] = createSignal(0);
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  let content: HTMLElement | undefined;
  const current = () => props.state.timer() ?? 0;
  const choices = (): number[] =>
    (TIMER_CHOICES as readonly number[]).includes(current())
      ? [...TIMER_CHOICES]
      : [...TIMER_CHOICES, current()].sort((a, b) => a - b);

  const onOpenChange = (next: boolean): void => {
    setOpen(next);
    setError(undefined);
    if (next) setChosen(current());
  };

  const save = async (): Promise<void> => {
    setError(undefined);
    setBusy(true);
    try {
      await props.state.link.request('setDisappearingTimer', {
        conv: props.conv,
        seconds: chosen(),
      });
      setOpen(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog.Root open={open()} onOpenChange={onOpenChange}>
      <Dialog.Trigger
        class="button"
        onPointerEnter={() => void loadChoices()}
        onFocus={() => void loadChoices()}
      >
        Disappearing messages: {describeTimer(current())}
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="overlay" />
        <div class="dialog-position">
          <Dialog.Content
            class="dialog"
            ref={(el: HTMLElement) => {
              content = el;
            }}
            onOpenAutoFocus={(e: Event) => {
              // Focus on the current setting, as a radio group's Tab stop is its checked item.
              const checked = content?.querySelector<HTMLElement>('input[type="radio"]:checked');
              if (checked === null || checked === undefined) return;
              e.preventDefault();
              checked.focus();
            }}
          >
            <Dialog.Title class="dialog-title">Disappearing messages</Dialog.Title>
            <Dialog.Description class="dialog-description">
              Messages sent from now on disappear from every device in this conversation that long
              after they were sent. Everyone in the conversation sees the change.
            </Dialog.Description>
            <TimerChoices choices={choices()} chosen={chosen()} onChoose={setChosen} />
            <Show when={error()}>
              <p role="alert" class="error">
                {error()}
              </p>
            </Show>
            <div class="dialog-actions">
              <Dialog.CloseButton class="button" aria-label="Cancel">
                Cancel
              </Dialog.CloseButton>
              <Button
                class="button primary"
                disabled={busy() || chosen() === current()}
                onClick={() => void save()}
              >
                Set timer
              </Button>
            </div>
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
