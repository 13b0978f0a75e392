/**
 * This account's devices (from the relay, each marked by whether the account's signed list has
 * it), removal, and approving a new device by its link code (pasted, or scanned where the
 * browser has a barcode detector).
 */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { ConfirmButton } from './ConfirmButton.jsx';
import { errorText } from './errors.js';
import { formatTime } from './format.js';
import { Scanner, scannerAvailable } from './Scanner.jsx';

export function Devices(props: { state: AppState }): JSX.Element {
  const [devices, { refetch }] = createResource(() => props.state.link.request('devices', {}));
  const primary = () => {
    const p = props.state.status().phase;
    return p.kind === 'ready' && p.account.primary;
  };
  const [code, setCode] = createSignal('');
  const [scanning, setScanning] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [done, setDone] = createSignal<string>();

  const approve = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const { deviceId } = await props.state.link.request('approveLink', { code: code() });
      setCode('');
      setDone(`Device ${deviceId} is linked.`);
      await refetch();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Show when={(devices.error as unknown) !== undefined}>
        <p role="alert" class="error">
          {errorText(devices.error as unknown)}
        </p>
      </Show>
      <ul class="devices">
        <For each={devices()}>
          {(d) => (
            <li class="device">
              <span>
                <strong>Device {d.deviceId}</strong>
                {d.current ? ' (this browser)' : ''}
                {d.deviceId === 1 ? ', primary' : ''}, added {formatTime(d.createdAt)}
                <Show when={!d.signed}>
                  <span class="badge warning">
                    {' '}
                    not in your signed device list: it receives nothing
                  </span>
                </Show>
              </span>
              <Show when={primary() && !d.current}>
                <ConfirmButton
                  label={`Remove device ${d.deviceId}`}
                  title={`Remove device ${d.deviceId}?`}
                  description="It is taken out of your signed device list and receives nothing from now on."
                  confirm="Remove"
                  onConfirm={async () => {
                    await props.state.link.request('removeDevice', { deviceId: d.deviceId });
                    await refetch();
                  }}
                />
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show
        when={primary()}
        fallback={<p class="hint">Devices are linked and removed from your primary device.</p>}
      >
        <h4>Link a device</h4>
        <p class="hint">
          On the new device choose “Link this browser” (or run <code>parley link</code>), then enter
          the code it shows.
        </p>
        <form onSubmit={(e) => void approve(e)}>
          <TextField class="field" value={code()} onChange={setCode} required>
            <TextField.Label class="field-label">Link code</TextField.Label>
            <TextField.TextArea class="field-input code" rows={3} spellcheck={false} />
          </TextField>
          <Show when={scanning()}>
            <Scanner
              onCode={(c) => {
                setCode(c);
                setScanning(false);
              }}
              onClose={() => setScanning(false)}
            />
          </Show>
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
              {busy() ? 'Waiting for the device…' : 'Approve the device'}
            </Button>
            <Show when={scannerAvailable() && !scanning()}>
              <Button class="button" onClick={() => setScanning(true)}>
                Scan the code with the camera
              </Button>
            </Show>
          </div>
        </form>
      </Show>
    </>
  );
}
