import { notStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { test } from 'node:test';
import { drawQr, qrMatrix, qrText, QR_QUIET_ZONE } from '../src/qr.js';

test('the matrix has a QR size and the drawing a quiet zone of light modules', () => {
  const m = qrMatrix('short');
  strictEqual(m.size, 21); // version 1
  strictEqual((m.size - 17) % 4, 0);
  // Finder pattern corners are dark.
  ok(m.dark(0, 0) && m.dark(0, m.size - 1) && m.dark(m.size - 1, 0));
  const lines = drawQr(m);
  const full = m.size + 2 * QR_QUIET_ZONE;
  strictEqual(lines.length, Math.ceil(full / 2));
  // The half blocks are single UTF-16 code units, so length counts columns.
  for (const l of lines) strictEqual(l.length, full);
  const fullBlock = '█'.repeat(full);
  // The top quiet zone (4 module rows = 2 text rows) is solid; so are the side columns.
  strictEqual(lines[0], fullBlock);
  strictEqual(lines[1], fullBlock);
  for (const l of lines) {
    strictEqual(l.slice(0, QR_QUIET_ZONE), '█'.repeat(QR_QUIET_ZONE));
    strictEqual(l.slice(-QR_QUIET_ZONE), '█'.repeat(QR_QUIET_ZONE));
  }
  // Text row 2 holds matrix rows 0 and 1: the finder's dark top edge over its light ring.
  strictEqual(lines[2]?.slice(QR_QUIET_ZONE, QR_QUIET_ZONE + 7), ' ▄▄▄▄▄ ');
});

test('the drawing changes with the payload, and bytes pick a larger version when needed', () => {
  notStrictEqual(qrText('payload one'), qrText('payload two'));
  const bytes = new Uint8Array(74).map((_, i) => (i * 37) % 256);
  const m = qrMatrix(bytes);
  ok(m.size > 21, `size ${m.size}`);
  strictEqual((m.size - 17) % 4, 0);
  const changed = bytes.slice();
  changed[10] = (changed[10] ?? 0) ^ 1;
  notStrictEqual(qrText(bytes), qrText(changed));
});
