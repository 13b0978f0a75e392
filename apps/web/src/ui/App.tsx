/** Chooses the screen from the engine's phase; holds the page's one polite live region. */
import { lazy, Match, Switch, type JSX } from 'solid-js';
import type { AppState } from './app-state.js';
import { Locked } from './Locked.jsx';
import { Welcome } from './Welcome.jsx';

// The signed-in app and the linking screen (with its QR code) load when first shown, so a first
// visit's registration screen needs only this chunk (`npm run bench -- web` measures it).
const Shell = lazy(() => import('./Shell.jsx').then((m) => ({ default: m.Shell })));
const Linking = lazy(() => import('./Linking.jsx').then((m) => ({ default: m.Linking })));

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
