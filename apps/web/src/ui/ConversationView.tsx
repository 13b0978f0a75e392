/**
 * One conversation: its header (the disappearing-message timer, safety number for a person,
 * members for a group), the blocking key-change warning, the timeline and the composer.
 */
import { Button } from '@kobalte/core/button';
import { lazy, Show, type JSX } from 'solid-js';
import { parseConvId, type ConversationId } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { Composer } from './Composer.jsx';
import { DisappearingDialog } from './DisappearingDialog.jsx';
import { Avatar, PersonName, typingText } from './Names.jsx';
import { SafetyDialog } from './SafetyDialog.jsx';
import { Timeline } from './Timeline.jsx';

// Only a group's header has it: not part of the signed-in start (`npm run bench -- web`).
const GroupDialog = lazy(() =>
  import('./GroupDialog.jsx').then((m) => ({ default: m.GroupDialog })),
);
// Only after a contact's key changed (the composer is blocked meanwhile, whether or not this
// has loaded): not part of the signed-in start either.
const KeyChangeWarning = lazy(() =>
  import('./KeyChangeWarning.jsx').then((m) => ({ default: m.KeyChangeWarning })),
);

export function ConversationView(props: { state: AppState; conv: ConversationId }): JSX.Element {
  const summary = () => props.state.conversations.find((c) => c.id === props.conv);
  const title = () => summary()?.title ?? '';
  const target = () => parseConvId(props.conv);
  const username = () => {
    const t = target();
    return t?.kind === 'direct' ? t.username : undefined;
  };
  const blocked = () => summary()?.keyChanged === true;

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-header">
        <Button
          class="button back"
          aria-label="Back to conversations"
          onClick={() => void props.state.openConversation(undefined)}
        >
          ←
        </Button>
        <Avatar state={props.state} username={username()} />
        <h2 id="conversation-title">
          <Show when={username()} fallback={title()}>
            {(u) => <PersonName state={props.state} username={u()} />}
          </Show>
        </h2>
        <div class="header-actions">
          <DisappearingDialog state={props.state} conv={props.conv} />
          <Show when={username()}>
            {(u) => <SafetyDialog state={props.state} username={u()} />}
          </Show>
          <Show when={target()?.kind === 'group'}>
            <GroupDialog state={props.state} conv={props.conv} title={title()} />
          </Show>
        </div>
      </header>
      <Show when={blocked() && username()}>
        {(u) => <KeyChangeWarning state={props.state} username={u()} />}
      </Show>
      <Timeline state={props.state} title={title()} />
      <p class="typing hint" aria-live="polite">
        {typingText(props.state)}
      </p>
      <Composer state={props.state} title={title()} blocked={blocked()} />
    </section>
  );
}
