/**
 * The page's side of the code pin: registers the service worker (`src/sw/service-worker.ts`)
 * and asks it which root this browser runs and which one the relay offers now.
 */
import {
  SERVICE_WORKER_URL,
  type PinReply,
  type PinRequest,
  type PinStatus,
} from '../sw/pin-protocol.js';

/** How long the page waits for the service worker's answer before starting anyway. */
const PIN_STATUS_TIMEOUT_MS = 5_000;

/** A change of code the person must see: the pinned root and the one the relay offers. */
export interface CodeChange {
  readonly pinned: string;
  readonly offered: string;
}

function ask(request: PinRequest, timeoutMs: number): Promise<PinStatus> {
  const controller = navigator.serviceWorker.controller;
  if (controller === null) return Promise.reject(new Error('no service worker yet'));
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(
      () => reject(new Error('the service worker did not answer')),
      timeoutMs,
    );
    channel.port1.onmessage = (e: MessageEvent<PinReply>) => {
      clearTimeout(timer);
      if (e.data.ok) resolve(e.data.status);
      else reject(new Error(e.data.error));
    };
    controller.postMessage(request, [channel.port2]);
  });
}

/** Registers the pinning service worker (first load: it pins what the relay serves now). */
export function registerPin(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker
    .register(SERVICE_WORKER_URL, { scope: '/', updateViaCache: 'none' })
    .catch(() => undefined);
}

/** The pinned and offered roots, or undefined before the first pin (or without a worker). */
export async function pinStatus(): Promise<PinStatus | undefined> {
  if (!('serviceWorker' in navigator) || navigator.serviceWorker.controller === null)
    return undefined;
  try {
    return await ask({ type: 'status' }, PIN_STATUS_TIMEOUT_MS);
  } catch {
    return undefined;
  }
}

/** The change to show before anything runs, if the relay offers a root other than the pin. */
export async function pendingCodeChange(): Promise<CodeChange | undefined> {
  registerPin();
  const status = await pinStatus();
  if (status?.pinned == null || status.offered === null || status.offered === status.pinned)
    return undefined;
  return { pinned: status.pinned, offered: status.offered };
}

/** Downloads, checks and pins the offered root (the person chose it); then reload. */
export async function acceptCode(root: string): Promise<void> {
  const status = await ask({ type: 'accept', root }, 5 * 60_000);
  if (status.pinned !== root) throw new Error('the new code was not pinned');
}
