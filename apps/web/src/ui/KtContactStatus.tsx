/**
 * A contact's key transparency status in words (as `parley verify` reports it), in the safety
 * dialog. A chunk of its own, loaded with the dialog's first safety number.
 */
import { createResource, Show, type JSX } from 'solid-js';
import type { KtContactView } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function ktContactText(v: KtContactView): string {
  switch (v.status) {
    case 'verified':
      return 'Verified with the key transparency log: this is the key the log shows everyone.';
    case 'cannot verify':
      return `Cannot verify yet: ${v.problems.length > 0 ? v.problems.join('; ') : 'monitoring of this contact’s keys is overdue'}.`;
    case 'log forked':
      return 'The log showed two different histories: not sending.';
    default:
      return v.enabled
        ? 'Not verified with the key transparency log yet.'
        : 'Not checked against a key transparency log: this relay shows none, so the key is trusted on first use.';
  }
}

export function KtContactStatus(props: { state: AppState; username: string }): JSX.Element {
  const [view] = createResource(
    () => props.username,
    (username) => props.state.link.request('contactTransparency', { username }),
  );
  // An errored resource throws when read: read it only once it is ready.
  const v = () => (view.state === 'ready' ? view() : undefined);
  return (
    <p
      class={
        v()?.status === 'verified' || v() === undefined ? 'kt-status' : 'kt-status badge warning'
      }
      data-testid="kt-status"
      data-kt={v()?.status ?? ''}
    >
      <Show when={view.state !== 'errored'} fallback={`Key transparency: ${errorText(view.error)}`}>
        {v() === undefined ? 'Key transparency: checking…' : ktContactText(v() as KtContactView)}
      </Show>
    </p>
  );
}
