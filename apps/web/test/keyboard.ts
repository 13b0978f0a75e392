/** Keyboard-only driving: Tab until a control has focus, as a person without a mouse would. */
import type { Page } from 'playwright-core';

/** Most Tab presses to reach any control (a screen has far fewer). */
const MAX_TABS = 60;

/** The focused element's accessible name, roughly as assistive technology computes it. */
export function focusedName(page: Page): Promise<string> {
  // No helper functions inside: the test runner's transpiler would wrap them in a helper the
  // page does not have.
  return page.evaluate(() => {
    const el = document.activeElement;
    if (el === null) return '';
    const label = el.getAttribute('aria-label');
    if (label !== null) return label.trim();
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy !== null)
      return labelledBy
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ')
        .trim();
    const labels = (el as Partial<HTMLInputElement>).labels;
    const first = labels?.[0];
    if (first !== undefined) return first.textContent.trim();
    return el.textContent.trim();
  });
}

/** Presses Tab (or Shift+Tab) until the focused control's name matches; fails if it never does. */
export async function tabTo(page: Page, name: RegExp, backwards = false): Promise<void> {
  for (let i = 0; i < MAX_TABS; i++) {
    if (name.test(await focusedName(page))) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`no control named ${String(name)} within ${MAX_TABS} Tab presses`);
}
