/**
 * The page of the browser store suite: runs `store-suite.worker.dom.ts` (OPFS's synchronous
 * handles exist only in dedicated workers) and publishes its results for the test to read.
 */
import type { SuiteResult } from './store-suite.worker.dom.js';

declare global {
  interface Window {
    storeSuite?: Promise<SuiteResult[]>;
  }
}

window.storeSuite = new Promise<SuiteResult[]>((resolve, reject) => {
  const worker = new Worker(new URL('./store-suite.worker.dom.ts', import.meta.url), {
    type: 'module',
  });
  worker.onmessage = (event: MessageEvent<SuiteResult[]>) => {
    const status = document.getElementById('status');
    if (status !== null) status.textContent = 'done';
    resolve(event.data);
  };
  worker.onerror = (event) => {
    reject(new Error(event.message));
  };
});
