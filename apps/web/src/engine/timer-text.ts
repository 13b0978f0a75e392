/**
 * The disappearing-message timer in words, and the settings the web offers (the SDK allows any
 * whole number of seconds up to four weeks; these are the ones people pick).
 */

/** The timers offered in a conversation's settings (seconds; 0: off). */
export const TIMER_CHOICES = [0, 5 * 60, 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60] as const;

const UNITS = [
  ['week', 7 * 24 * 60 * 60],
  ['day', 24 * 60 * 60],
  ['hour', 60 * 60],
  ['minute', 60],
] as const;

/** "off", "5 minutes", "1 hour", "2 weeks", "90 seconds"… */
export function describeTimer(seconds: number): string {
  if (seconds === 0) return 'off';
  for (const [unit, n] of UNITS)
    if (seconds % n === 0) {
      const count = seconds / n;
      return `${String(count)} ${unit}${count === 1 ? '' : 's'}`;
    }
  return `${String(seconds)} second${seconds === 1 ? '' : 's'}`;
}

/** The timeline's line for a change: "alice set disappearing messages to 1 hour". */
export function describeTimerChange(by: string, seconds: number): string {
  return seconds === 0
    ? `${by} turned disappearing messages off.`
    : `${by} set disappearing messages to ${describeTimer(seconds)}.`;
}
