/** The connection to the relay, in words (changes are announced by the live region). */
import type { JSX } from 'solid-js';
import type { ConnectionState } from '../engine/protocol.js';

const LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  removed: 'This browser was removed from your account',
};

export function ConnectionBadge(props: { state: ConnectionState }): JSX.Element {
  return (
    <span class="connection" data-state={props.state}>
      <span class="dot" aria-hidden="true" />
      Connection: {LABEL[props.state]}
    </span>
  );
}
