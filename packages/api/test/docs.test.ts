// The contract's documentation is generated from the route table and the error registry and
// checked in (README.md tables, openapi.json); this test fails when they drift. To regenerate:
// PARLEY_UPDATE_DOCS=1 npm test -- packages/api/test/docs
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { format, resolveConfig } from 'prettier';
import { ERROR_CODES, FRAME, FRAME_LAYOUTS, ROUTES, WS_CLOSE, openApiDocument } from '@parley/api';

const README = new URL('../README.md', import.meta.url);
const OPENAPI = new URL('../openapi.json', import.meta.url);
const BEGIN = '<!-- generated: begin -->';
const END = '<!-- generated: end -->';
const update = process.env['PARLEY_UPDATE_DOCS'] === '1';

function tables(): string {
  const lines = [
    '### Routes',
    '',
    '| method | path | auth | success | errors (besides the common ones) | what |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of Object.values(ROUTES)) {
    lines.push(
      `| ${r.method} | \`${r.url}\` | ${r.auth} | ${r.success.status} | ${r.errors.map((e) => `\`${e}\``).join(', ') || '—'} | ${r.summary} |`,
    );
  }
  lines.push('', '### Error codes', '', '| code | HTTP | meaning |', '| --- | --- | --- |');
  for (const [code, { status, description }] of Object.entries(ERROR_CODES)) {
    lines.push(`| \`${code}\` | ${status} | ${description} |`);
  }
  lines.push(
    '',
    '### WebSocket frames (delivery protocol 2)',
    '',
    '| frame | first byte | from | after the first byte |',
    '| --- | --- | --- | --- |',
  );
  for (const [name, { from, layout }] of Object.entries(FRAME_LAYOUTS)) {
    const code = FRAME[name as keyof typeof FRAME];
    lines.push(`| \`${name}\` | 0x${code.toString(16).padStart(2, '0')} | ${from} | ${layout} |`);
  }
  lines.push('', '### WebSocket close codes', '', '| name | code |', '| --- | --- |');
  for (const [name, code] of Object.entries(WS_CLOSE)) lines.push(`| \`${name}\` | ${code} |`);
  return lines.join('\n');
}

/** Formats as the repository's Prettier settings would, so the checked-in files pass `prettier --check`. */
async function pretty(text: string, file: URL): Promise<string> {
  const path = fileURLToPath(file);
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}

test('README.md tables match the route table and the error registry', async () => {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, 'markers present');
  const expected = await pretty(
    `${text.slice(0, start + BEGIN.length)}\n\n${tables()}\n\n${text.slice(end)}`,
    README,
  );
  if (update) writeFileSync(README, expected);
  assert.equal(readFileSync(README, 'utf8'), expected);
});

test('openapi.json is the generated OpenAPI document', async () => {
  const expected = await pretty(JSON.stringify(openApiDocument()), OPENAPI);
  if (update) writeFileSync(OPENAPI, expected);
  assert.equal(readFileSync(OPENAPI, 'utf8'), expected);
});
