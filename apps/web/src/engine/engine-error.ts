/** The engine's errors (a stable code and a short sentence) and the input checks that raise them. */
import { MAX_USERNAME_CHARS, MAX_USERS_PER_REQUEST } from './limits.js';

/** An error with a code the UI can branch on; only the code and a short sentence cross over. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `text`, if it is at most `max` characters (`what` names it in the error). */
export function bounded(text: string, max: number, what: string): string {
  if (text.length > max) throw new EngineError('INVALID_INPUT', `${what} is too long`);
  return text;
}

/** Distinct, trimmed, lower-cased usernames, at most `MAX_USERS_PER_REQUEST`. */
export function usernames(list: readonly string[]): string[] {
  if (list.length > MAX_USERS_PER_REQUEST)
    throw new EngineError('INVALID_INPUT', `at most ${MAX_USERS_PER_REQUEST} people at once`);
  return [
    ...new Set(
      list
        .map((u) => bounded(u.trim().toLowerCase(), MAX_USERNAME_CHARS, 'a username'))
        .filter((u) => u !== ''),
    ),
  ];
}
