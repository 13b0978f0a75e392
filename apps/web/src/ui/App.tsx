/** Chooses the screen from the engine's phase; holds the page's one polite live region. */
import { Match, Switch, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { Linking } from './Linking.jsx';
import { Locked } from './Locked.jsx';
import { Shell } from './Shell.jsx';
import { Welcome } from './Welcome.jsx';

export function App(props: { state: AppState }): JSX.Element {
  const phase = () => props.state.status().phase;
  return (
    <>
      <Switch>
        <Match when={phase().kind === 'starting'}>
          <main class="centered" aria-busy="true">
            <h1>Parley</h1>
            <p>Opening your messages…</p>
          </main>
        </Match>
        <Match when={phase().kind === 'unavailable'}>
          <main class="centered">
            <h1>Parley cannot keep your messages in this browser</h1>
            <p role="alert">
              {(() => {
                const p = phase();
                return p.kind === 'unavailable' ? p.reason : '';
              })()}
            </p>
          </main>
        </Match>
        <Match when={phase().kind === 'locked'}>
          <Locked state={props.state} />
        </Match>
        <Match when={phase().kind === 'new'}>
          <Welcome state={props.state} />
        </Match>
        <Match
          when={(() => {
            const p = phase();
            return p.kind === 'linking' ? p.code : undefined;
          })()}
        >
          {(code) => <Linking code={code()} />}
        </Match>
        <Match when={phase().kind === 'ready'}>
          <Shell state={props.state} />
        </Match>
      </Switch>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true">
        {props.state.announcement()}
      </div>
    </>
  );
}
