/** The page's entry: the engine link, the view state, and the app. */
import { render } from 'solid-js/web';
import { App } from './ui/App.jsx';
import { createAppState } from './ui/app-state.js';
import { EngineLink } from './ui/engine-link.dom.js';
import './ui/styles.css';

const root = document.getElementById('app');
if (root !== null) {
  const state = createAppState(new EngineLink());
  render(() => <App state={state} />, root);
}
