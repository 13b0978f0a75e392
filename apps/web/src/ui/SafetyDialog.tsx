/** The safety number with a contact: 60 digits, the QR code, and marking it verified. */
import { Button } from '@kobalte/core/button';
// Namespace imports: Kobalte's `Dialog` and `AlertDialog` objects share one root function, so
// whichever loads last would overwrite the other's `Content` (and its role).
import * as Dialog from '@kobalte/core/dialog';
import { createSignal, lazy, Show, type JSX } from 'solid-js';
import type { SafetyView } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

// The QR code (its encoder is 7 KB gzipped) loads when a safety number is first shown, not with
// the signed-in shell (`npm run bench -- web`: "signed-in start").
const QrCode = lazy(() => import('./QrCode.jsx').then((m) => ({ default: m.QrCode })));
// Likewise the key transparency status.
const KtContactStatus = lazy(() =>
  import('./KtContactStatus.jsx').then((m) => ({ default: m.KtContactStatus })),
);

export function SafetyDialog(props: { state: AppState; username: string }): JSX.Element {
  const [open, setOpen] = createSignal(false);
  // Fetched afresh each time the dialog opens (never a number from before a key change).
  const [safety, setSafety] = createSignal<SafetyView>();
  const [loadError, setLoadError] = createSignal<string>();
  const [error, setError] = createSignal<string>();
  const onOpenChange = (next: boolean): void => {
    setOpen(next);
    setSafety(undefined);
    setLoadError(undefined);
    if (next)
      props.state.link
        .request('safetyNumber', { username: props.username })
        .then(setSafety, (e: unknown) => {
          setLoadError(errorText(e));
        });
  };
  const blocks = () => safety()?.digits.match(/\d{5}/g) ?? [];

  const setVerified = async (verified: boolean): Promise<void> => {
    setError(undefined);
    try {
      await props.state.link.request('markVerified', { username: props.username, verified });
      const s = safety();
      if (s !== undefined) setSafety({ ...s, verified });
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <Dialog.Root open={open()} onOpenChange={onOpenChange}>
      <Dialog.Trigger class="button">Safety number</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay class="overlay" />
        <div class="dialog-position">
          <Dialog.Content class="dialog">
            <Dialog.Title class="dialog-title">Safety number with {props.username}</Dialog.Title>
            <Dialog.Description class="dialog-description">
              Compare these digits with the ones {props.username} sees, or scan each other’s code.
              If they match, nobody is in between.
            </Dialog.Description>
            <Show when={loadError()}>
              <p role="alert" class="error">
                {loadError()}
              </p>
            </Show>
            <Show when={safety()}>
              {(s) => (
                <>
                  <Show when={s().keyChanged}>
                    <p class="badge warning">
                      This is the new key’s number; you have not accepted it yet.
                    </p>
                  </Show>
                  <p class="safety-digits" aria-label={`Safety number: ${blocks().join(' ')}`}>
                    {blocks().map((b) => (
                      <span>{b}</span>
                    ))}
                  </p>
                  <QrCode
                    data={s().scannable}
                    label={`Safety number with ${props.username} as a QR code`}
                  />
                  <KtContactStatus state={props.state} username={s().username} />
                  <p role="status">
                    {s().verified
                      ? `You marked ${props.username} as verified.`
                      : `${props.username} is not verified.`}
                  </p>
                  <Show when={error()}>
                    <p role="alert" class="error">
                      {error()}
                    </p>
                  </Show>
                  <div class="dialog-actions">
                    <Dialog.CloseButton class="button" aria-label="Close">
                      Close
                    </Dialog.CloseButton>
                    {/* One button whose label flips, so focus stays on it. */}
                    <Button
                      class={s().verified ? 'button' : 'button primary'}
                      disabled={s().keyChanged}
                      onClick={() => void setVerified(!s().verified)}
                    >
                      {s().verified ? 'Clear verification' : 'Mark as verified'}
                    </Button>
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
