/** Refusals and warnings the engine reported (a ghost device, a dropped message). */
import { Button } from '@kobalte/core/button';
import { For, Show, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';

export function Notices(props: { state: AppState }): JSX.Element {
  return (
    <Show when={props.state.notices.length > 0}>
      <section class="notices" aria-label="Warnings">
        <ul>
          <For each={props.state.notices}>
            {(n) => (
              <li class="notice" data-level={n.level}>
                <span>{n.text}</span>
                <Button
                  class="button small"
                  aria-label={`Dismiss: ${n.text}`}
                  onClick={() => props.state.dismissNotice(n.id)}
                >
                  Dismiss
                </Button>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  );
}
