/**
 * When the composer tells the conversation that we are typing (only while typing indicators are
 * on): a start at the first keystroke, again every `TYPING_RESEND_MS` while typing goes on (so
 * the indicator, which the SDK shows for 15 s after each start, stays up), and a stop after
 * `TYPING_IDLE_MS` without a keystroke or when the box is emptied. Sending the message ends it
 * on the other side without a stop (the message clears the indicator there).
 */

/** A start is sent again after this long of continued typing (below the SDK's 15 s). */
export const TYPING_RESEND_MS = 10_000;
/** A stop is sent after this long without a keystroke. */
export const TYPING_IDLE_MS = 5_000;

export interface TypingSender {
  /** The box's text changed. */
  readonly input: (text: string) => void;
  /** The message was sent (or the conversation left): nothing more to say. */
  readonly reset: () => void;
}

export function typingSender(
  send: (started: boolean) => void,
  now: () => number = Date.now,
): TypingSender {
  let startedAt: number | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const reset = (): void => {
    clearTimeout(idle);
    startedAt = undefined;
  };
  const stop = (): void => {
    const active = startedAt !== undefined;
    reset();
    if (active) send(false);
  };
  return {
    input(text) {
      if (text.trim() === '') {
        stop();
        return;
      }
      if (startedAt === undefined || now() - startedAt >= TYPING_RESEND_MS) {
        startedAt = now();
        send(true);
      }
      clearTimeout(idle);
      idle = setTimeout(stop, TYPING_IDLE_MS);
    },
    reset,
  };
}
