import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../two-party.ts', import.meta.url), 'utf8');

test('the README shows examples/two-party.ts verbatim', () => {
  assert.ok(
    readme.includes('```ts\n' + example + '```'),
    'README example is out of date: copy examples/two-party.ts into it',
  );
});

test('the two-party example runs: Bob decrypts what Alice sent over a new PQXDH session', async () => {
  const { received } = (await import('../two-party.js')) as { received: string };
  assert.equal(received, 'hi Bob');
});
