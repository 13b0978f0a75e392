/**
 * The timeline: a virtualised list (only the visible messages are in the page) following the
 * WAI-ARIA feed pattern: each message an article, Page Down / Page Up move between them, the
 * feed is busy while older messages load. Older messages load when scrolled to the top and are
 * prepended without moving what is on screen; new ones keep the view at the bottom.
 */
import {
  batch,
  createComputed,
  createEffect,
  createMemo,
  createSignal,
  lazy,
  on,
  onCleanup,
  Show,
  type JSX,
} from 'solid-js';
import { VList, type VListHandle } from 'virtua/solid';
import type { ItemState, TimelineItem } from '../engine/protocol.js';
import { Button } from '@kobalte/core/button';
import { FIRST_ROWS, type AppState } from './app-state.js';
import { RequestError } from './engine-link.dom.js';
import { errorText } from './errors.js';
import { PersonName } from './Names.jsx';
import { formatTime } from './format.js';
import { MessageActions } from './MessageActions.jsx';
import { Edited, MessageText, Quote, Reactions } from './MessageExtras.jsx';

// Only messages with files need it.
const Attachments = lazy(() =>
  import('./Attachments.jsx').then((m) => ({ default: m.Attachments })),
);

const STATE_LABEL: Record<ItemState, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
  received: '',
};

/** Messages that can be replied to, reacted to, edited or deleted: the ones the relay has. */
const ACTIONABLE: ReadonlySet<ItemState> = new Set(['sent', 'delivered', 'read', 'received']);

/** How close to the top (px) scrolling must come before older messages load. */
const LOAD_OLDER_AT_PX = 200;
/**
 * A message's height (px) until it is measured (one line of text with its meta, state and
 * actions rows). The list's own guess is 40 px, which draws twice the rows that fit and then
 * corrects its scroll position as they measure taller.
 */
const ROW_ESTIMATE_PX = 90;
/** Animation frames to wait for a row scrolled to by the keyboard or a quote to be drawn. */
const FOCUS_FRAMES = 10;
/** A focus lost this soon after a pointer press (ms) is the press's doing, and stays lost. */
const FOCUS_PRESS_MS = 500;

export function Timeline(props: { state: AppState; title: string }): JSX.Element {
  let list: VListHandle | undefined;
  let viewport: HTMLDivElement | undefined;
  const [shift, setShift] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  let atBottom = true;
  /** When a pointer was last pressed anywhere in the page (ms, `performance.now()`). */
  let pressedAt = -Infinity;
  /**
   * Items of the page not given to the list yet (its oldest), after a page arrived: the list
   * draws the rows at its top before it scrolls to the end, and drawing rows is most of an
   * open's time in the page. They are prepended, as older messages are, when scrolling comes
   * near the top or the keyboard or a quote moves to one of them; the engine is not asked.
   */
  const [held, setHeld] = createSignal(0);
  const rows = createMemo(() => {
    const h = held();
    return h === 0 ? props.state.items : props.state.items.slice(h);
  });

  /** Gives the list the items held back, as a prepend (what is on screen stays). */
  const releaseHeld = (): void => {
    batch(() => {
      setShift(true);
      setHeld(0);
    });
    requestAnimationFrame(() => setShift(false));
  };

  // A computation, so it runs before the list renders: a page arriving in an empty list goes in
  // newest first.
  createComputed(
    on(
      () => props.state.items.length,
      (n, before) => {
        if (n === 0 || held() >= n) setHeld(0);
        else if ((before ?? 0) === 0 && n > FIRST_ROWS) setHeld(n - FIRST_ROWS);
      },
    ),
  );

  const scrollToEnd = (): void => {
    const n = rows().length;
    if (n > 0) list?.scrollToIndex(n - 1, { align: 'end' });
  };

  // New items at the end: follow them if we were at the bottom or the newest is ours. A page
  // arriving in an empty list (a conversation opened) starts at the newest.
  createEffect(
    on(
      () => [props.state.items.length, props.state.items.at(-1)?.id] as const,
      (now, before) => {
        if (now[0] === 0) {
          atBottom = true;
          return;
        }
        if (shift()) return;
        const last = props.state.items.at(-1);
        const appended = before === undefined || before[0] === 0 || now[1] !== before[1];
        if (appended && (atBottom || last?.direction === 'out')) queueMicrotask(scrollToEnd);
      },
    ),
  );

  const loadOlder = async (): Promise<void> => {
    if (busy() || !props.state.hasOlder()) return;
    setBusy(true);
    setShift(true);
    try {
      await props.state.loadOlder();
    } finally {
      setBusy(false);
      requestAnimationFrame(() => setShift(false));
    }
  };

  const onScroll = (offset: number): void => {
    if (list === undefined) return;
    atBottom = offset + list.viewportSize >= list.scrollSize - 8;
    if (offset >= LOAD_OLDER_AT_PX) return;
    if (held() > 0) releaseHeld();
    else void loadOlder();
  };

  const focusArticle = (index: number): void => {
    const n = props.state.items.length;
    if (n === 0) return;
    const i = Math.max(0, Math.min(n - 1, index));
    // The list draws a row scrolled to within a few frames.
    const focus = (frames: number): void => {
      const el = viewport?.querySelector<HTMLElement>(`[aria-posinset="${i + 1}"]`);
      if (el) el.focus();
      else if (frames > 1) requestAnimationFrame(() => focus(frames - 1));
    };
    const go = (): void => {
      list?.scrollToIndex(i - held(), { align: 'nearest' });
      requestAnimationFrame(() => focus(FOCUS_FRAMES));
    };
    if (i >= held()) {
      go();
      return;
    }
    // A row held back: prepended first; the list settles its position in the next frame.
    releaseHeld();
    requestAnimationFrame(go);
  };

  /** Moves to the message a reply quotes, if it is loaded; says so if it is not. */
  const openQuoted = (id: string): void => {
    const index = props.state.items.findIndex((i) => i.id === id);
    if (index < 0) props.state.announce('That message is not loaded; scroll up to find it.');
    else focusArticle(index);
  };

  /**
   * The list moves or draws anew the rows it shows as it scrolls, and a row moved in the page
   * loses the focus to the page's body (focusing the topmost drawn message scrolls the list,
   * which did that). A message that lost the focus to nothing gets it back, without scrolling;
   * not after a pointer press (a click elsewhere moves the focus on purpose) or with the window
   * in the background.
   */
  const onFocusOut = (event: FocusEvent): void => {
    if (event.relatedTarget !== null || performance.now() - pressedAt < FOCUS_PRESS_MS) return;
    const id = (event.target as HTMLElement).closest('article')?.getAttribute('aria-labelledby');
    if (id === null || id === undefined) return;
    queueMicrotask(() => {
      const active = document.activeElement;
      if ((active !== null && active !== document.body) || !document.hasFocus()) return;
      document.getElementById(id)?.closest('article')?.focus({ preventScroll: true });
    });
  };
  const onPointerDown = (): void => {
    pressedAt = performance.now();
  };
  document.addEventListener('pointerdown', onPointerDown, true);
  onCleanup(() => document.removeEventListener('pointerdown', onPointerDown, true));

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'PageDown' && event.key !== 'PageUp') return;
    const current = (event.target as HTMLElement).closest('article');
    const pos = Number(current?.getAttribute('aria-posinset') ?? '0') - 1;
    if (current === null) return;
    event.preventDefault();
    focusArticle(event.key === 'PageDown' ? pos + 1 : pos - 1);
  };

  return (
    <div
      class="timeline-wrap"
      ref={(el) => {
        viewport = el;
      }}
      onFocusOut={onFocusOut}
    >
      <Show when={props.state.items.length === 0}>
        <p class="hint timeline-empty">No messages yet. Say hello.</p>
      </Show>
      {/* Mounted while the conversation view is, empty or not: it knows its viewport's size
          when a page arrives, so the page's newest messages render at once, not a frame later. */}
      <VList
        ref={(h) => {
          list = h;
        }}
        class="timeline"
        role={props.state.items.length > 0 ? 'feed' : undefined}
        aria-label={props.state.items.length > 0 ? `Messages with ${props.title}` : undefined}
        aria-busy={busy()}
        data={rows()}
        itemSize={ROW_ESTIMATE_PX}
        shift={shift()}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
      >
        {(item, index) => (
          <Message
            state={props.state}
            item={item}
            pos={held() + index() + 1}
            onQuote={openQuoted}
            size={props.state.hasOlder() ? -1 : props.state.items.length}
          />
        )}
      </VList>
    </div>
  );
}

function Message(props: {
  state: AppState;
  item: TimelineItem;
  pos: number;
  size: number;
  onQuote: (id: string) => void;
}): JSX.Element {
  const isMessage = () => props.item.kind === 'message';
  const deleted = () => props.item.deleted === true;
  const metaId = () => `meta-${props.item.id}`;
  const textId = () => `text-${props.item.id}`;
  return (
    <article
      class="message"
      data-kind={props.item.kind}
      data-direction={props.item.direction}
      data-state={props.item.state}
      tabindex="0"
      aria-posinset={props.pos}
      aria-setsize={props.size}
      aria-labelledby={metaId()}
      aria-describedby={textId()}
    >
      <p class="meta" id={metaId()}>
        <Show
          when={props.item.kind === 'message'}
          fallback={<span class="visually-hidden">Event</span>}
        >
          <span class="sender">
            {props.item.direction === 'out' ? (
              'You'
            ) : (
              <PersonName state={props.state} username={props.item.sender} />
            )}
          </span>
        </Show>{' '}
        <time datetime={new Date(props.item.at).toISOString()}>{formatTime(props.item.at)}</time>
      </p>
      <Show when={!deleted() && props.item.replyTo}>
        {(q) => <Quote quote={q()} onOpen={props.onQuote} />}
      </Show>
      <MessageText item={props.item} id={textId()} />
      <Show when={!deleted() && (props.item.attachments?.length ?? 0) > 0}>
        {/* No Suspense boundary: none above it either, so nothing else waits while it loads. */}
        <Attachments state={props.state} item={props.item} />
      </Show>
      <Show when={!deleted() && (props.item.edits?.length ?? 0) > 0}>
        <Edited edits={props.item.edits} />
      </Show>
      <Show when={!deleted() && (props.item.reactions?.length ?? 0) > 0}>
        <Reactions state={props.state} item={props.item} />
      </Show>
      <Show when={props.item.direction === 'out' && props.item.kind === 'message'}>
        <p class="state">
          {STATE_LABEL[props.item.state]}
          <Show when={props.item.state === 'failed' && props.item.error !== 'NOT_A_MEMBER'}>
            {' '}
            <Button
              class="button small"
              aria-label={`Retry sending “${props.item.text}”`}
              onClick={() => {
                props.state.link
                  .request('retry', { conv: props.item.conv, id: props.item.id })
                  .catch((e: unknown) => props.state.announce(errorText(e)));
              }}
            >
              Retry
            </Button>
          </Show>
        </p>
        <Show when={props.item.state === 'failed' && props.item.error !== undefined}>
          <p class="error small">
            {errorText(new RequestError({ code: props.item.error ?? '', message: '' }))}
          </p>
        </Show>
      </Show>
      <Show when={isMessage() && !deleted() && ACTIONABLE.has(props.item.state)}>
        <MessageActions state={props.state} item={props.item} />
      </Show>
    </article>
  );
}
