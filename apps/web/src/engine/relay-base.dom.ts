/**
 * The relay the engine talks to: the page's own origin, unless the server of the page names
 * another one at `/.well-known/parley-relay.json` (`parley web serve --relay URL`, whose CSP
 * allows that relay alone). Offline or on any malformed answer: the page's origin.
 */
import { parseRelayConfig, RELAY_CONFIG_PATH } from '@parley/web-integrity';

export async function relayBase(): Promise<string> {
  try {
    const response = await fetch(RELAY_CONFIG_PATH, { cache: 'no-store' });
    if (response.ok) return parseRelayConfig(await response.text()) ?? self.location.origin;
  } catch {
    // Offline: nothing to connect to anyway; the page's origin until the next start.
  }
  return self.location.origin;
}
