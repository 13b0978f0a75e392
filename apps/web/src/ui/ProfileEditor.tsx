/**
 * Our display name and avatar, as contacts see them (Settings; loaded only when Settings
 * opens). The picked image goes to the engine, which makes it a small JPEG before it is sealed
 * under our profile key; only the primary device sets the profile.
 */
import { Button } from '@kobalte/core/button';
import { TextField } from '@kobalte/core/text-field';
import { createEffect, createResource, createSignal, onCleanup, Show, type JSX } from 'solid-js';
import { MAX_PROFILE_NAME_CHARS } from '../engine/limits.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';

export function ProfileEditor(props: { state: AppState; primary: boolean }): JSX.Element {
  const [own, { refetch }] = createResource(() => props.state.link.request('ownProfile', {}));
  /** What the relay holds, once read (a failed read shows its error instead). */
  const current = () => (own.state === 'ready' ? own() : undefined);
  const [name, setName] = createSignal<string>();
  /** A newly picked image (undefined: keep the current one; null: remove it). */
  const [picked, setPicked] = createSignal<File | null>();
  const [error, setError] = createSignal<string>();
  const [done, setDone] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);

  const shownAvatar = (): Blob | undefined => {
    const p = picked();
    return p === null ? undefined : (p ?? current()?.avatar);
  };
  const [url, setUrl] = createSignal<string>();
  createEffect(() => {
    const blob = shownAvatar();
    const next = blob && URL.createObjectURL(blob);
    setUrl((before) => {
      if (before !== undefined) URL.revokeObjectURL(before);
      return next;
    });
  });
  onCleanup(() => {
    const u = url();
    if (u !== undefined) URL.revokeObjectURL(u);
  });

  const save = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const p = picked();
      await props.state.link.request('setProfile', {
        name: name() ?? current()?.name ?? '',
        ...(p !== undefined && { avatar: p }),
      });
      setPicked(undefined);
      setName(undefined);
      await refetch();
      setDone('Profile saved. Your contacts see it with your next message.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void save(e)}>
      <Show when={!props.primary}>
        <p class="hint">Your name and picture are set on your primary device.</p>
      </Show>
      <Show when={own.error !== undefined}>
        <p role="alert" class="error">
          {errorText(own.error)}
        </p>
      </Show>
      <div class="row">
        <Show when={url()}>
          {(src) => <img class="avatar large" src={src()} alt="Your profile picture" />}
        </Show>
        <TextField
          class="field grow"
          value={name() ?? current()?.name ?? ''}
          onChange={setName}
          disabled={!props.primary}
        >
          <TextField.Label class="field-label">Display name</TextField.Label>
          <TextField.Input class="field-input" maxLength={MAX_PROFILE_NAME_CHARS} />
          <TextField.Description class="field-help">
            Shown to your contacts beside your username.
          </TextField.Description>
        </TextField>
      </div>
      <Show when={props.primary}>
        <div class="row">
          <input
            id="profile-avatar"
            class="visually-hidden"
            type="file"
            accept="image/png,image/jpeg,image/webp"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f !== undefined) setPicked(f);
            }}
          />
          <label for="profile-avatar" class="button">
            Choose a picture
          </label>
          <Show when={shownAvatar() !== undefined}>
            <Button class="button" onClick={() => setPicked(null)}>
              Remove the picture
            </Button>
          </Show>
        </div>
      </Show>
      <Show when={error()}>
        <p role="alert" class="error">
          {error()}
        </p>
      </Show>
      <Show when={done()}>
        <p role="status">{done()}</p>
      </Show>
      <Show when={props.primary}>
        <Button type="submit" class="button primary" disabled={busy()}>
          Save profile
        </Button>
      </Show>
    </form>
  );
}
