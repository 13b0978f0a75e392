/** Settings: appearance, privacy, security, devices, storage, about. */
import { Button } from '@kobalte/core/button';
import { RadioGroup } from '@kobalte/core/radio-group';
import { Switch } from '@kobalte/core/switch';
import { createResource, createSignal, For, lazy, Show, type JSX } from 'solid-js';
import type { AppState, Theme } from './app-state.js';
import { ConfirmButton } from './ConfirmButton.jsx';
import { Devices } from './Devices.jsx';
import { KtSettings } from './KtSettings.jsx';
import { errorText } from './errors.js';
import { Passphrase } from './Passphrase.jsx';
import { pinStatus } from '../integrity/pin.dom.js';
import { servedRoot } from '../integrity/served-root.dom.js';
import {
  notificationChoice,
  setNotifications,
  type NotificationChoice,
} from './notifications.dom.js';
import { persistence, requestPersistence, type Persistence } from './persistence.dom.js';

const ProfileEditor = lazy(() =>
  import('./ProfileEditor.jsx').then((m) => ({ default: m.ProfileEditor })),
);

const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'contrast', label: 'High contrast' },
];

const PERSISTENCE_TEXT: Record<Persistence, string> = {
  granted: 'This browser keeps Parley’s data until you delete it.',
  refused:
    'This browser has not promised to keep Parley’s data: under storage pressure it may delete your keys and history. Ask again, or install Parley as an app.',
  unsupported: 'This browser cannot promise to keep Parley’s data.',
};

const NOTIFY_TEXT: Record<NotificationChoice, string> = {
  on: 'While a Parley tab is open, a new message in a conversation you are not looking at shows a notification with its sender and first words.',
  off: 'Off: new messages show only in this page. On: the browser asks whether Parley may show notifications; they show the sender and first words, which your system keeps in its notification list.',
  blocked:
    'This browser blocks notifications from Parley. Allow them in the site’s settings (the icon beside the address), then turn this on.',
  unsupported: 'This browser cannot show notifications.',
};

export function Settings(props: { state: AppState }): JSX.Element {
  const [settings, { refetch }] = createResource(() => props.state.link.request('settings', {}));
  const [about] = createResource(() => props.state.link.request('about', {}));
  // The root this browser runs: the pinned one, else (before the first pin) the served one.
  const [codeRoot] = createResource(
    async () => (await pinStatus())?.pinned ?? (await servedRoot()),
  );
  const [stored, setStored] = createSignal<Persistence>();
  void persistence().then(setStored);
  const [error, setError] = createSignal<string>();
  const [notify, setNotify] = createSignal<NotificationChoice>(notificationChoice());

  const setReceipts = async (on: boolean): Promise<void> => {
    setError(undefined);
    try {
      await props.state.link.request('setReadReceipts', { on });
      await refetch();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const setTyping = async (on: boolean): Promise<void> => {
    setError(undefined);
    try {
      await props.state.setTypingOn(on);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const primary = (): boolean => {
    const p = props.state.status().phase;
    return p.kind === 'ready' && p.account.primary;
  };

  return (
    <section class="conversation settings" aria-labelledby="settings-title">
      <header class="conversation-header">
        <Button
          class="button back"
          aria-label="Back to conversations"
          onClick={() => props.state.setScreen('chats')}
        >
          ←
        </Button>
        <h2 id="settings-title">Settings</h2>
      </header>
      <div class="settings-body">
        <Show when={error()}>
          <p role="alert" class="error">
            {error()}
          </p>
        </Show>
        <section aria-labelledby="profile-heading" class="card">
          <h3 id="profile-heading">Profile</h3>
          <ProfileEditor state={props.state} primary={primary()} />
        </section>

        <section aria-labelledby="appearance-heading" class="card">
          <h3 id="appearance-heading">Appearance</h3>
          <RadioGroup
            class="radio-group"
            value={props.state.theme()}
            onChange={(v: string) =>
              props.state.setTheme(THEMES.find((t) => t.value === v)?.value ?? 'system')
            }
          >
            <RadioGroup.Label class="field-label">Theme</RadioGroup.Label>
            <For each={THEMES}>
              {(t) => (
                <RadioGroup.Item class="radio" value={t.value}>
                  <RadioGroup.ItemInput class="radio-input" />
                  <RadioGroup.ItemControl class="radio-control">
                    <RadioGroup.ItemIndicator class="radio-indicator" />
                  </RadioGroup.ItemControl>
                  <RadioGroup.ItemLabel class="radio-label">{t.label}</RadioGroup.ItemLabel>
                </RadioGroup.Item>
              )}
            </For>
          </RadioGroup>
        </section>

        <section aria-labelledby="privacy-heading" class="card">
          <h3 id="privacy-heading">Privacy</h3>
          <Switch
            class="switch"
            checked={settings()?.readReceipts ?? true}
            onChange={(on: boolean) => void setReceipts(on)}
          >
            <Switch.Input class="switch-input" />
            <Switch.Control class="switch-control">
              <Switch.Thumb class="switch-thumb" />
            </Switch.Control>
            <Switch.Label class="switch-label">Send read receipts</Switch.Label>
          </Switch>
          <p class="hint">
            Off: contacts no longer see when you read their messages. They still see that a message
            reached this device.
          </p>
          <Switch
            class="switch"
            checked={props.state.typingOn()}
            onChange={(on: boolean) => void setTyping(on)}
          >
            <Switch.Input class="switch-input" />
            <Switch.Control class="switch-control">
              <Switch.Thumb class="switch-thumb" />
            </Switch.Control>
            <Switch.Label class="switch-label">Typing indicators</Switch.Label>
          </Switch>
          <p class="hint">
            On: contacts see when you are typing to them, and you see when they are. Off (the
            default): neither.
          </p>
        </section>

        <section aria-labelledby="notifications-heading" class="card">
          <h3 id="notifications-heading">Notifications</h3>
          <Switch
            class="switch"
            checked={notify() === 'on'}
            disabled={notify() === 'unsupported'}
            onChange={(on: boolean) => void setNotifications(on).then(setNotify)}
          >
            <Switch.Input class="switch-input" />
            <Switch.Control class="switch-control">
              <Switch.Thumb class="switch-thumb" />
            </Switch.Control>
            <Switch.Label class="switch-label">Notify me of new messages</Switch.Label>
          </Switch>
          <p class="hint">{NOTIFY_TEXT[notify()]}</p>
        </section>

        <section aria-labelledby="security-heading" class="card">
          <h3 id="security-heading">Passphrase</h3>
          <Passphrase
            state={props.state}
            set={settings()?.passphrase ?? false}
            changed={() => void refetch()}
          />
        </section>

        <section aria-labelledby="devices-heading" class="card">
          <h3 id="devices-heading">Devices</h3>
          <Devices state={props.state} />
        </section>

        <section aria-labelledby="storage-heading" class="card">
          <h3 id="storage-heading">Storage</h3>
          <p>{PERSISTENCE_TEXT[stored() ?? 'unsupported']}</p>
          <Show when={stored() === 'refused'}>
            <Button class="button" onClick={() => void requestPersistence().then(setStored)}>
              Ask the browser to keep Parley’s data
            </Button>
          </Show>
          <div class="row">
            <ConfirmButton
              label="Wipe local data"
              title="Wipe local data?"
              description="This deletes every key and message in this browser. Your account stays at the relay; link this browser again from your primary device to use it here."
              confirm="Wipe"
              onConfirm={() => props.state.link.request('wipe', {})}
            />
            <ConfirmButton
              label="Delete account"
              title="Delete your account?"
              description="This deletes your account at the relay, with everything queued for it, and wipes this browser. Your contacts will see a new safety number if you register the name again."
              confirm="Delete account"
              onConfirm={() => props.state.link.request('deleteAccount', {})}
            />
          </div>
        </section>

        <KtSettings state={props.state} />

        <section aria-labelledby="about-heading" class="card">
          <h3 id="about-heading">About</h3>
          <dl class="about">
            <dt>Parley</dt>
            <dd>{__PARLEY_VERSION__}</dd>
            <dt>SQLite</dt>
            <dd>{about()?.sqlite ?? '…'}</dd>
            <dt>Relay</dt>
            <dd>{location.origin}</dd>
            <dt>Code root</dt>
            <dd class="code-root" data-testid="code-root">
              {codeRoot.loading ? '…' : (codeRoot() ?? 'unknown (no manifest)')}
            </dd>
          </dl>
          <p class="hint">
            Messages are end-to-end encrypted with the Signal protocol (1:1) and MLS (groups). The
            relay sees who talks to whom and when, never what is said.
          </p>
        </section>
      </div>
    </section>
  );
}
