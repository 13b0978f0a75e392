/**
 * A message's files (loaded lazily: only messages with files need it). Images show the
 * sender's thumbnail inline and, on request, the full image; other files show their name and
 * size and download on request. The engine fetches, checks and decrypts the file through the
 * SDK and hands the page a Blob, shown through a `blob:` URL (the CSP allows `img-src blob:`)
 * that is revoked when the message leaves the page. Nothing decrypted is stored.
 */
import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import type { AttachmentView, TimelineItem } from '../engine/protocol.js';
import { isInlineImage } from '../engine/file-types.js';
import type { AppState } from './app-state.js';
import { errorText } from './errors.js';
import { formatSize, fromBase64 } from './format.js';

/** Object URLs made here, revoked when their component goes. */
function ownedUrl(blob: Blob): string {
  const url = URL.createObjectURL(blob);
  onCleanup(() => URL.revokeObjectURL(url));
  return url;
}

function isImage(a: AttachmentView): boolean {
  return isInlineImage(a.contentType);
}

export function Attachments(props: { state: AppState; item: TimelineItem }): JSX.Element {
  return (
    <ul class="attachments" aria-label="Files">
      <For each={props.item.attachments}>
        {(a) => (
          <li>
            <Show
              when={isImage(a)}
              fallback={<FileLink state={props.state} item={props.item} a={a} />}
            >
              <ImageView state={props.state} item={props.item} a={a} />
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

/** Asks the engine for a file's decrypted bytes. */
function fetchFile(state: AppState, item: TimelineItem, a: AttachmentView): Promise<Blob> {
  return state.link.request('attachment', { conv: item.conv, id: item.id, index: a.index });
}

function ImageView(props: { state: AppState; item: TimelineItem; a: AttachmentView }): JSX.Element {
  const thumb = (): string | undefined => {
    const t = props.a.thumbnail;
    return t === undefined ? undefined : ownedUrl(new Blob([fromBase64(t)]));
  };
  const thumbUrl = thumb();
  const [full, setFull] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const load = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const blob = await fetchFile(props.state, props.item, props.a);
      setFull(URL.createObjectURL(blob));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  onCleanup(() => {
    const url = full();
    if (url !== undefined) URL.revokeObjectURL(url);
  });
  return (
    <figure class="attachment image">
      <Show
        when={full()}
        fallback={
          <Show when={thumbUrl}>
            {(url) => <img class="thumbnail" src={url()} alt={`${props.a.name} (preview)`} />}
          </Show>
        }
      >
        {(url) => <img class="full-image" src={url()} alt={props.a.name} />}
      </Show>
      <figcaption>
        <span class="file-name">{props.a.name}</span>{' '}
        <span class="hint">{formatSize(props.a.size)}</span>{' '}
        <Show when={full() === undefined}>
          <button
            type="button"
            class="button small"
            disabled={busy()}
            aria-label={`Show the full image ${props.a.name}`}
            onClick={() => void load()}
          >
            {busy() ? 'Loading…' : 'Show full image'}
          </button>
        </Show>
      </figcaption>
      <Show when={error()}>
        <p role="alert" class="error small">
          {error()}
        </p>
      </Show>
    </figure>
  );
}

function FileLink(props: { state: AppState; item: TimelineItem; a: AttachmentView }): JSX.Element {
  const [url, setUrl] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();
  let link: HTMLAnchorElement | undefined;
  const download = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const blob = await fetchFile(props.state, props.item, props.a);
      setUrl(URL.createObjectURL(blob));
      link?.click();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  onCleanup(() => {
    const u = url();
    if (u !== undefined) URL.revokeObjectURL(u);
  });
  return (
    <div class="attachment file">
      <span class="file-name">{props.a.name}</span>{' '}
      <span class="hint">{formatSize(props.a.size)}</span>{' '}
      <Show
        when={url()}
        fallback={
          <button
            type="button"
            class="button small"
            disabled={busy()}
            aria-label={`Download ${props.a.name}, ${formatSize(props.a.size)}`}
            onClick={() => void download()}
          >
            {busy() ? 'Downloading…' : 'Download'}
          </button>
        }
      >
        {(u) => (
          <a
            class="button small"
            href={u()}
            download={props.a.name}
            ref={(el) => {
              link = el;
            }}
          >
            Save {props.a.name}
          </a>
        )}
      </Show>
      <Show when={error()}>
        <p role="alert" class="error small">
          {error()}
        </p>
      </Show>
    </div>
  );
}
