/**
 * When the composer says we are typing (Node, mocked timers): one start per
 * `TYPING_RESEND_MS` of continued typing, a stop after `TYPING_IDLE_MS` without a keystroke or
 * when the box is emptied, nothing after a send.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { TYPING_IDLE_MS, TYPING_RESEND_MS, typingSender } from '../src/ui/typing-sender.js';

function world() {
  let clock = 1_000_000;
  const said: boolean[] = [];
  const sender = typingSender(
    (started) => said.push(started),
    () => clock,
  );
  const advance = (ms: number): void => {
    clock += ms;
    mock.timers.tick(ms);
  };
  return { sender, said, advance };
}

test('a keystroke every second for 25 s: three starts, then one stop once idle', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { sender, said, advance } = world();
    let text = '';
    for (let s = 0; s < 25; s++) {
      text += 'a';
      sender.input(text);
      advance(1000);
    }
    assert.deepEqual(said, [true, true, true]);
    assert.ok(25_000 / TYPING_RESEND_MS < 3);
    advance(TYPING_IDLE_MS);
    assert.deepEqual(said, [true, true, true, false]);
    advance(60_000);
    assert.equal(said.length, 4);
  } finally {
    mock.timers.reset();
  }
});

test('emptying the box stops at once; a send says nothing more', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { sender, said, advance } = world();
    sender.input('hi');
    sender.input('');
    assert.deepEqual(said, [true, false]);
    sender.input('again');
    sender.reset();
    advance(TYPING_IDLE_MS * 2);
    assert.deepEqual(said, [true, false, true]);
    // Whitespace is not typing.
    sender.input('   ');
    assert.deepEqual(said, [true, false, true]);
  } finally {
    mock.timers.reset();
  }
});
