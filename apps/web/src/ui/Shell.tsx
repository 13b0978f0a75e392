/**
 * The signed-in layout: the top bar (who, connection, Chats and Settings), the conversation
 * list, and the open conversation or the settings. On a phone-sized screen one of the two panes
 * shows at a time.
 */
import { Button } from '@kobalte/core/button';
import { lazy, Match, Show, Switch, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { ConnectionBadge } from './ConnectionBadge.jsx';
import { ConversationList } from './ConversationList.jsx';
import { ConversationView } from './ConversationView.jsx';
import { Notices } from './Notices.jsx';

/** Loaded when Settings first opens: not part of the signed-in start. */
const Settings = lazy(() => import('./Settings.jsx').then((m) => ({ default: m.Settings })));

export function Shell(props: { state: AppState }): JSX.Element {
  const account = () => {
    const p = props.state.status().phase;
    return p.kind === 'ready' ? p.account : undefined;
  };
  const pane = () =>
    props.state.screen() === 'settings'
      ? 'settings'
      : props.state.open() === undefined
        ? 'list'
        : 'conversation';
  return (
    <div class="shell" data-open={pane()}>
      <header class="topbar">
        <h1 class="brand">Parley</h1>
        <ConnectionBadge state={props.state.status().connection} />
        <span class="whoami">
          Signed in as <strong>{account()?.username}</strong>
        </span>
        <nav class="topnav" aria-label="Main">
          <Button
            class="button"
            aria-current={props.state.screen() === 'chats' ? 'page' : undefined}
            onClick={() => props.state.setScreen('chats')}
          >
            Chats
          </Button>
          <Button
            class="button"
            aria-current={props.state.screen() === 'settings' ? 'page' : undefined}
            onClick={() => props.state.setScreen('settings')}
          >
            Settings
          </Button>
        </nav>
      </header>
      <Notices state={props.state} />
      <main class="shell-main">
        <ConversationList state={props.state} />
        <Switch>
          <Match when={props.state.screen() === 'settings'}>
            <Settings state={props.state} />
          </Match>
          <Match when={props.state.open()}>
            {(conv) => <ConversationView state={props.state} conv={conv()} />}
          </Match>
          <Match when={true}>
            <section class="conversation empty" aria-label="No conversation open">
              <p>Choose a conversation, or start a new chat.</p>
              <Show when={account()?.primary === false}>
                <p class="hint">This browser is a linked device of {account()?.username}.</p>
              </Show>
            </section>
          </Match>
        </Switch>
      </main>
    </div>
  );
}
