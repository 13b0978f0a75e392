/** A button that asks first (an alert dialog), for what cannot be undone. */
// Namespace import: see the note in NewChatDialog.tsx.
import * as AlertDialog from '@kobalte/core/alert-dialog';
import { Button } from '@kobalte/core/button';
import { createSignal, Show, type JSX } from 'solid-js';
import { errorText } from './errors.js';

interface ConfirmProps {
  label: string;
  title: string;
  description: string;
  confirm: string;
  danger?: boolean;
  /** The trigger is a small button (inside a message). */
  small?: boolean;
  onConfirm: () => Promise<unknown>;
}

const triggerClass = (props: ConfirmProps): string =>
  `button${props.small === true ? ' small' : ''}${props.danger === false ? '' : ' danger'}`;

/**
 * A plain button until first pressed, then the dialog (opened) with its own trigger: a
 * timeline has one per own message on screen, and the dialog's parts cost the opening of a
 * conversation.
 */
export function ConfirmButton(props: ConfirmProps): JSX.Element {
  const [used, setUsed] = createSignal(false);
  return (
    <Show
      when={used()}
      fallback={
        <button
          type="button"
          class={triggerClass(props)}
          aria-haspopup="dialog"
          aria-expanded="false"
          onClick={() => setUsed(true)}
        >
          {props.label}
        </button>
      }
    >
      <ConfirmDialog {...props} />
    </Show>
  );
}

function ConfirmDialog(props: ConfirmProps): JSX.Element {
  const [open, setOpen] = createSignal(true);
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const go = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      setOpen(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AlertDialog.Root open={open()} onOpenChange={setOpen}>
      <AlertDialog.Trigger class={triggerClass(props)}>{props.label}</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="overlay" />
        <div class="dialog-position">
          <AlertDialog.Content class="dialog">
            <AlertDialog.Title class="dialog-title">{props.title}</AlertDialog.Title>
            <AlertDialog.Description class="dialog-description">
              {props.description}
            </AlertDialog.Description>
            <Show when={error()}>
              <p role="alert" class="error">
                {error()}
              </p>
            </Show>
            <div class="dialog-actions">
              <AlertDialog.CloseButton class="button" aria-label="Cancel">
                Cancel
              </AlertDialog.CloseButton>
              <Button class="button danger" disabled={busy()} onClick={() => void go()}>
                {props.confirm}
              </Button>
            </div>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
