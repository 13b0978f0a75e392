/**
 * The benchmark's seed page (`npm run bench -- web`): served beside the app on the same origin,
 * it runs `seed.worker.dom.ts`, which writes synthetic messages straight into this profile's
 * encrypted store, so the benchmark measures 10,000 or 100,000 stored messages without sending
 * them through the relay. The bench calls `window.seed(count)` once the app's tabs are closed.
 */
import type { SeedRequest, SeedResult } from './seed.worker.dom.js';

declare global {
  interface Window {
    seed?: (request: SeedRequest) => Promise<SeedResult>;
  }
}

window.seed = (request) =>
  new Promise<SeedResult>((resolve, reject) => {
    const worker = new Worker(new URL('./seed.worker.dom.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = (event: MessageEvent<SeedResult>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage(request);
  });
