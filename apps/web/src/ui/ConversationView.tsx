/** One conversation: its header, the timeline and the composer. */
import { Button } from '@kobalte/core/button';
import type { JSX } from 'solid-js';
import type { ConversationId } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { Composer } from './Composer.jsx';
import { Timeline } from './Timeline.jsx';

export function ConversationView(props: { state: AppState; conv: ConversationId }): JSX.Element {
  const summary = () => props.state.conversations.find((c) => c.id === props.conv);
  const title = () => summary()?.title ?? '';
  return (
    <main class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-header">
        <Button
          class="button back"
          aria-label="Back to conversations"
          onClick={() => void props.state.openConversation(undefined)}
        >
          ←
        </Button>
        <h2 id="conversation-title">{title()}</h2>
      </header>
      <Timeline state={props.state} title={title()} />
      <Composer state={props.state} title={title()} />
    </main>
  );
}
