/** While this browser waits for the primary device to approve it: the code, as text and QR. */
import { Button } from '@kobalte/core/button';
import { createSignal, type JSX } from 'solid-js';
import { QrCode } from './QrCode.jsx';

export function Linking(props: { code: string }): JSX.Element {
  const [copied, setCopied] = createSignal(false);
  return (
    <main class="centered" aria-labelledby="linking-heading">
      <h1 id="linking-heading">Link this browser</h1>
      <p>
        On your primary device, open Settings, Devices, “Link a device”, and scan this code or paste
        the text below. This page continues by itself once it is approved.
      </p>
      <QrCode data={props.code} label="Link code as a QR code" />
      <label class="field">
        <span class="field-label">Link code</span>
        <textarea class="field-input code" readonly rows={4} value={props.code} />
      </label>
      <Button
        class="button"
        onClick={() => {
          void navigator.clipboard.writeText(props.code).then(() => setCopied(true));
        }}
      >
        {copied() ? 'Copied' : 'Copy the code'}
      </Button>
      <p class="hint" aria-busy="true">
        Waiting for approval…
      </p>
    </main>
  );
}
