/**
 * The signed-in layout: the top bar (who, connection), the conversation list, the open
 * conversation. On a phone-sized screen one of the two panes shows at a time.
 */
import { Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { ConnectionBadge } from './ConnectionBadge.jsx';
import { ConversationList } from './ConversationList.jsx';
import { ConversationView } from './ConversationView.jsx';
import { Notices } from './Notices.jsx';

export function Shell(props: { state: AppState }): JSX.Element {
  const account = () => {
    const p = props.state.status().phase;
    return p.kind === 'ready' ? p.account : undefined;
  };
  return (
    <div class="shell" data-open={props.state.open() === undefined ? 'list' : 'conversation'}>
      <header class="topbar">
        <h1 class="brand">Parley</h1>
        <ConnectionBadge state={props.state.status().connection} />
        <span class="whoami">
          Signed in as <strong>{account()?.username}</strong>
        </span>
      </header>
      <Notices state={props.state} />
      <ConversationList state={props.state} />
      <Show
        when={props.state.open()}
        fallback={
          <main class="conversation empty" aria-label="No conversation open">
            <p>Choose a conversation, or start a new chat.</p>
          </main>
        }
      >
        {(conv) => <ConversationView state={props.state} conv={conv()} />}
      </Show>
    </div>
  );
}
