/**
 * Where the web client finds its relay. The relay serving the page answers `{"relay": null}`
 * (this origin); `parley web serve` answers the remote relay's origin, which the page's CSP
 * then allows in `connect-src`.
 */

/** The well-known path of the relay choice. */
export const RELAY_CONFIG_PATH = '/.well-known/parley-relay.json';

/** The JSON a server answers at {@link RELAY_CONFIG_PATH}. */
export function encodeRelayConfig(relay: string | null): string {
  return JSON.stringify({ relay });
}

/**
 * The relay origin from a {@link RELAY_CONFIG_PATH} answer: an `http(s)` origin, or undefined
 * for "this origin" and for anything malformed.
 */
export function parseRelayConfig(text: string): string | undefined {
  if (text.length > MAX_RELAY_CONFIG) return undefined;
  try {
    const { relay } = JSON.parse(text) as { relay?: unknown };
    return typeof relay === 'string' ? relayOrigin(relay) : undefined;
  } catch {
    return undefined;
  }
}

/** Longest relay choice a page reads. */
const MAX_RELAY_CONFIG = 1024;
const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(:[0-9]{1,5})?\/?$/;

/** `scheme://host[:port]` of an http(s) origin, lowercased; undefined for anything else. */
export function relayOrigin(text: string): string | undefined {
  const m = ORIGIN.exec(text.toLowerCase());
  if (m === null) return undefined;
  return `${m[1] ?? ''}://${m[2] ?? ''}${m[3] ?? ''}`;
}

/** The CSP `connect-src` sources for a relay origin: its HTTP API and its WebSocket. */
export function relayConnectSources(origin: string): string[] {
  const ws = origin.startsWith('https:') ? 'wss:' : 'ws:';
  return [origin, `${ws}${origin.slice(origin.indexOf('//'))}`];
}
