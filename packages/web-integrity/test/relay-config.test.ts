import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  encodeRelayConfig,
  parseRelayConfig,
  relayConnectSources,
  relayOrigin,
} from '@parley/web-integrity';

describe('relay choice', () => {
  it('reads an http(s) origin, null or anything else as "this origin"', () => {
    assert.equal(
      parseRelayConfig(encodeRelayConfig('http://127.0.0.1:8080')),
      'http://127.0.0.1:8080',
    );
    assert.equal(
      parseRelayConfig(encodeRelayConfig('HTTPS://Relay.Example/')),
      'https://relay.example',
    );
    assert.equal(parseRelayConfig(encodeRelayConfig(null)), undefined);
    for (const bad of ['javascript:alert(1)', 'http://a/b', 'ws://a', 'http://a b', 'http://u@a'])
      assert.equal(parseRelayConfig(encodeRelayConfig(bad)), undefined, bad);
    assert.equal(parseRelayConfig('{'), undefined);
  });

  it('allows the relay and its WebSocket in connect-src', () => {
    assert.deepEqual(relayConnectSources('https://relay.example'), [
      'https://relay.example',
      'wss://relay.example',
    ]);
    assert.deepEqual(relayConnectSources('http://127.0.0.1:9'), [
      'http://127.0.0.1:9',
      'ws://127.0.0.1:9',
    ]);
  });

  it('fuzz: never throws; whatever it returns is a bare origin with no CSP-breaking character', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.webUrl().map((u) => encodeRelayConfig(u)),
        ),
        (text) => {
          const origin = parseRelayConfig(text);
          if (origin !== undefined) {
            assert.match(origin, /^https?:\/\/[a-z0-9.\-[\]:]+$/);
            assert.equal(relayOrigin(origin), origin);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
