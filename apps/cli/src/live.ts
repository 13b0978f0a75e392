/**
 * Live delivery for `chat` and `receive --wait`: the SDK's `LiveConnection` (the relay's
 * WebSocket, reconnecting with backoff). If the socket cannot be opened at all, the caller falls
 * back to polling over HTTP.
 */
import {
  LiveConnection,
  type ClientEvent,
  type KtMonitorReport,
  type ParleyClient,
} from '@parley/client';
import { nodeSocketFactory } from '@parley/client/node';

/** How long the first connection may take to become ready before we fall back to polling. */
export const LIVE_OPEN_TIMEOUT_MS = 5_000;

export interface Live {
  /** Stops the connection and waits until every frame already received has been processed. */
  stop(): Promise<void>;
}

/** A timer that does not keep the process alive (a pending reconnect must not delay exit). */
function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}

/**
 * Opens the live connection and resolves once the relay says it is ready, or `undefined` if the
 * first attempt closes or does not become ready within `LIVE_OPEN_TIMEOUT_MS`.
 */
export async function openLive(
  client: ParleyClient,
  baseUrl: string,
  onEvent: (event: ClientEvent) => void,
  onError: (error: unknown) => void,
  /** Monitor key transparency every RMW while open (`chat`); failures go to `onError`. */
  ktMonitor = false,
): Promise<Live | undefined> {
  const kt = client.keyTransparencyStatus();
  const monitoring =
    ktMonitor && kt.enabled && kt.rmw !== undefined
      ? {
          ktMonitorMs: kt.rmw,
          onKtMonitor: (o: KtMonitorReport | { readonly error: unknown }) => {
            if ('error' in o) onError(o.error);
            else if (o.failed.length > 0)
              onError(
                new Error(
                  `key transparency monitoring: ${o.failed.map((f) => `${f.label}: ${f.code}`).join('; ')}`,
                ),
              );
          },
        }
      : {};
  let settle: (ready: boolean) => void = () => undefined;
  const opened = new Promise<boolean>((resolve) => (settle = resolve));
  const live = new LiveConnection({
    client,
    baseUrl,
    socket: nodeSocketFactory,
    sleep: unrefSleep,
    onEvent,
    onError,
    ...monitoring,
    onState: (state) => {
      if (state === 'ready') settle(true);
      else if (state === 'closed') settle(false);
    },
  });
  const timer = setTimeout(() => settle(false), LIVE_OPEN_TIMEOUT_MS);
  live.start();
  const ready = await opened;
  clearTimeout(timer);
  const stop = async (): Promise<void> => {
    live.stop();
    await live.settled();
  };
  if (!ready) {
    await stop();
    return undefined;
  }
  return { stop };
}
