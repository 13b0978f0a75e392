/**
 * Settings' key transparency card: the pinned log, its last verified head, and the last
 * monitoring run with its result (as `parley kt status` shows them).
 */
import { Button } from '@kobalte/core/button';
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { KtRunView } from '../engine/protocol.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { formatTime } from './format.js';

function runText(run: KtRunView): string {
  const when = formatTime(run.at);
  if (run.error !== undefined) return `${when}: failed (${run.error})`;
  if (run.failed.length > 0)
    return `${when}: ${String(run.checked)} checked, could not verify ${run.failed.join('; ')}`;
  return `${when}: ${String(run.checked)} checked, all verified`;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 1 ? `${String(Math.round(h))} h` : `${String(Math.round(ms / 60_000))} min`;
}

export function KtSettings(props: { state: AppState }): JSX.Element {
  const [kt, { mutate }] = createResource(() => props.state.link.request('ktStatus', {}));
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const monitorNow = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      mutate(await props.state.link.request('ktMonitor', {}));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  // An errored resource throws when read: read it only once it is ready.
  const ready = () => (kt.state === 'ready' ? kt() : undefined);
  return (
    <section aria-labelledby="kt-heading" class="card">
      <h3 id="kt-heading">Key transparency</h3>
      <Show when={kt.state === 'errored'}>
        <p class="error">{errorText(kt.error)}</p>
      </Show>
      <Show when={ready()} fallback={<p class="hint">{kt.state === 'errored' ? '' : '…'}</p>}>
        {(s) => (
          <Show
            when={s().enabled}
            fallback={
              <p class="hint" data-testid="kt-log">
                Off: this relay has shown no key transparency log, so contacts’ keys are trusted on
                first use (compare safety numbers).
              </p>
            }
          >
            <Show when={s().forked}>
              <p role="alert" class="badge warning">
                The log showed two different histories: not sending.
              </p>
            </Show>
            <dl class="about">
              <dt>Log</dt>
              <dd data-testid="kt-log">
                pinned ({s().mode ?? 'unknown mode'}
                {s().rmw === undefined ? '' : `, monitored every ${hours(s().rmw ?? 0)}`})
              </dd>
              <dt>Head size</dt>
              <dd>{s().treeSize ?? 'not seen yet'}</dd>
              <dt>Labels monitored</dt>
              <dd>{s().monitored}</dd>
              <dt>Last monitoring run</dt>
              <dd data-testid="kt-last-run">
                {s().lastRun === undefined ? 'none yet' : runText(s().lastRun as KtRunView)}
              </dd>
            </dl>
            <Show when={error()}>
              <p role="alert" class="error">
                {error()}
              </p>
            </Show>
            <Button class="button" disabled={busy()} onClick={() => void monitorNow()}>
              {busy() ? 'Checking…' : 'Check now'}
            </Button>
            <Show when={s().overdue.length > 0}>
              <p class="badge warning">Cannot verify yet (monitoring overdue):</p>
              <ul>
                <For each={s().overdue}>{(d) => <li>{d}</li>}</For>
              </ul>
            </Show>
          </Show>
        )}
      </Show>
    </section>
  );
}
