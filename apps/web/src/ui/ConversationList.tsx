/** The conversation list: search, a new chat, and every conversation with its unread count. */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createEffect, createSignal, For, Show, type JSX } from 'solid-js';
import type { SearchHit } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { NewChatDialog } from './NewChatDialog.jsx';
import { NewGroupDialog } from './NewGroupDialog.jsx';
import { formatTime } from './format.js';
import { Avatar, directUser, shownTitle } from './Names.jsx';

export function ConversationList(props: { state: AppState }): JSX.Element {
  const [query, setQuery] = createSignal('');
  const [hits, setHits] = createSignal<SearchHit[]>();
  let searchToken = 0;
  // An expired message leaves the results on screen too.
  createEffect(() => {
    const gone = props.state.removed();
    if (gone.size > 0) setHits((h) => h?.filter((x) => !gone.has(`${x.conv}\u0000${x.item.id}`)));
  });

  const search = async (q: string): Promise<void> => {
    setQuery(q);
    const token = ++searchToken;
    if (q.trim() === '') {
      setHits(undefined);
      return;
    }
    const found = await props.state.search(q);
    if (token === searchToken) setHits(found);
  };

  return (
    <nav class="sidebar" aria-label="Conversations">
      <div class="sidebar-tools">
        <TextField class="field search" value={query()} onChange={(q: string) => void search(q)}>
          <TextField.Label class="visually-hidden">Search messages</TextField.Label>
          <TextField.Input class="field-input" type="search" placeholder="Search messages" />
        </TextField>
        <div class="row">
          <NewChatDialog state={props.state} />
          <NewGroupDialog state={props.state} />
        </div>
      </div>
      <Show
        when={hits()}
        fallback={
          <Show
            when={props.state.conversations.length > 0}
            fallback={<p class="hint">No conversations yet. Start a new chat.</p>}
          >
            <ul class="conversations">
              <For each={props.state.conversations}>
                {(c) => (
                  <li>
                    <Button
                      class="conversation-item"
                      aria-current={props.state.open() === c.id ? 'true' : undefined}
                      onClick={() => void props.state.openConversation(c.id)}
                      onPointerEnter={() => props.state.prefetch(c.id)}
                      onFocus={() => props.state.prefetch(c.id)}
                    >
                      <span class="title">
                        <Avatar state={props.state} username={directUser(c)} />
                        {shownTitle(props.state, c)}
                      </span>
                      <Show when={c.unread > 0}>
                        <span class="unread">
                          {c.unread}
                          <span class="visually-hidden"> unread</span>
                        </span>
                      </Show>
                      <Show when={c.keyChanged}>
                        <span class="badge warning">safety number changed</span>
                      </Show>
                      <span class="last">
                        <Show when={c.lastText !== undefined} fallback="No messages yet">
                          {c.lastFromMe ? 'You: ' : ''}
                          {c.lastText}
                        </Show>
                      </span>
                      <Show when={c.lastAt !== undefined}>
                        <span class="time">{formatTime(c.lastAt ?? 0)}</span>
                      </Show>
                    </Button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        }
      >
        {(found) => (
          <section aria-label="Search results">
            <p class="hint" role="status">
              {found().length === 0
                ? 'No messages found.'
                : `${found().length} message${found().length === 1 ? '' : 's'} found.`}
              <Show when={props.state.status().indexing !== undefined}>
                {` Still indexing older messages (${String(props.state.status().indexing ?? 0)}% done): more may match.`}
              </Show>
            </p>
            <ul class="conversations">
              <For each={found()}>
                {(h) => (
                  <li>
                    <Button
                      class="conversation-item"
                      onClick={() => {
                        void search('');
                        void props.state.openConversation(h.conv);
                      }}
                    >
                      <span class="title">{h.title}</span>
                      <span class="last">
                        {h.item.sender}: {h.item.text}
                      </span>
                      <span class="time">{formatTime(h.item.at)}</span>
                    </Button>
                  </li>
                )}
              </For>
            </ul>
          </section>
        )}
      </Show>
    </nav>
  );
}
