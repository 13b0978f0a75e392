/**
 * The disappearing-message dialog's choices (`DisappearingDialog`): a lazy chunk, with Kobalte's
 * radio group, which nothing else in the signed-in start uses (`npm run bench -- web`).
 */
import { RadioGroup } from '@kobalte/core/radio-group';
import { For, onMount, type JSX } from 'solid-js';
import { describeTimer } from '../engine/timer-text.js';

function label(seconds: number): string {
  const text = describeTimer(seconds);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function TimerChoices(props: {
  choices: readonly number[];
  chosen: number;
  onChoose: (seconds: number) => void;
}): JSX.Element {
  let group: HTMLDivElement | undefined;
  // Drawn once the dialog is open (at once if this chunk was already here): focus goes to the
  // current setting, as a radio group's Tab stop is its checked item.
  onMount(() => {
    group?.querySelector<HTMLElement>('input[type="radio"]:checked')?.focus();
  });
  return (
    <RadioGroup
      ref={(el: HTMLDivElement) => {
        group = el;
      }}
      class="radio-group"
      value={String(props.chosen)}
      onChange={(v: string) => props.onChoose(Number(v))}
    >
      <RadioGroup.Label class="field-label">Timer</RadioGroup.Label>
      <For each={props.choices}>
        {(seconds) => (
          <RadioGroup.Item class="radio" value={String(seconds)}>
            <RadioGroup.ItemInput class="radio-input" />
            <RadioGroup.ItemControl class="radio-control">
              <RadioGroup.ItemIndicator class="radio-indicator" />
            </RadioGroup.ItemControl>
            <RadioGroup.ItemLabel class="radio-label">{label(seconds)}</RadioGroup.ItemLabel>
          </RadioGroup.Item>
        )}
      </For>
    </RadioGroup>
  );
}
