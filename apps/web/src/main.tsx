/**
 * The page's entry: first the code pin (a build other than the pinned one waits for the
 * person's choice), then the engine link, the view state, and the app.
 */
import { render } from 'solid-js/web';
import { pendingCodeChange } from './integrity/pin.dom.js';
import { App } from './ui/App.jsx';
import { createAppState } from './ui/app-state.js';
import { CodeChange } from './ui/CodeChange.jsx';
import { EngineLink } from './ui/engine-link.dom.js';
import './ui/styles.css';

const root = document.getElementById('app');
if (root !== null) {
  const startApp = (): void => {
    const state = createAppState(new EngineLink());
    render(() => <App state={state} />, root);
  };
  void pendingCodeChange().then((change) => {
    if (change === undefined) {
      startApp();
      return;
    }
    const dispose = render(
      () => (
        <CodeChange
          change={change}
          onKeep={() => {
            dispose();
            startApp();
          }}
        />
      ),
      root,
    );
  });
}
