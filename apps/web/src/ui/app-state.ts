/**
 * The view's state: what the engine last said (status, conversations, the open conversation's
 * items, notices) plus pure view state (which conversation is open, the live announcement).
 * Everything else is asked of the engine through the link; nothing here touches keys, the
 * store or the network.
 */
import { batch, createSignal, type Accessor } from 'solid-js';
import { createStore, reconcile, type SetStoreFunction } from 'solid-js/store';
import {
  ENGINE_ERRORS,
  parseConvId,
  type ConversationId,
  type ConversationSummary,
  type EngineEvent,
  type EngineStatus,
  type Notice,
  type ProfileView,
  type SearchHit,
  type TimelineItem,
} from '../engine/protocol.js';
import { RequestError, type EngineLink } from './engine-link.dom.js';
import { notifyIncoming } from './notifications.dom.js';
import { compareItems, createPageCache } from './page-cache.js';

/** The appearance chosen in Settings (`system` follows the operating system). */
export type Theme = 'system' | 'light' | 'dark' | 'contrast';
const THEME_KEY = 'parley-theme';
const THEMES: readonly Theme[] = ['system', 'light', 'dark', 'contrast'];

/** What the composer is doing besides writing a new message: replying to or editing `item`. */
export interface Draft {
  readonly kind: 'reply' | 'edit';
  readonly item: TimelineItem;
}

/** Which main screen shows (view state only). */
export type Screen = 'chats' | 'settings';

/** Items loaded per page of the timeline. */
export const PAGE_SIZE = 50;
/**
 * Items of a page the timeline draws when it arrives in an empty one (a conversation opened): a
 * tall screen's worth, the newest; the rest join when scrolling nears them (`Timeline.tsx`).
 */
export const FIRST_ROWS = 12;
/** Incoming message ids remembered so each is announced once. */
const MAX_ANNOUNCED = 1_000;
/** Tries of one send across engine hand-overs (each later one asks the new engine to check first). */
const MAX_SEND_ATTEMPTS = 3;

export interface AppState {
  readonly link: EngineLink;
  readonly status: Accessor<EngineStatus>;
  readonly conversations: readonly ConversationSummary[];
  readonly open: Accessor<ConversationId | undefined>;
  readonly items: readonly TimelineItem[];
  /** The items the engine last removed (expired), as `conv` NUL `id`: views drop them. */
  readonly removed: Accessor<ReadonlySet<string>>;
  /** The open conversation's disappearing-message timer (seconds; 0: off), once known. */
  readonly timer: Accessor<number | undefined>;
  /** True while older items may exist before the first loaded one. */
  readonly hasOlder: Accessor<boolean>;
  readonly notices: readonly Notice[];
  /** A contact's display name (their own words: text only), else undefined. */
  nameOf(username: string): string | undefined;
  /** A `blob:` URL of a contact's avatar, if they set one. */
  avatarOf(username: string): string | undefined;
  /** Who is typing in the open conversation (usernames). */
  readonly typing: Accessor<readonly string[]>;
  /** Typing indicators are on (sent and shown); off by default. */
  readonly typingOn: Accessor<boolean>;
  setTypingOn(on: boolean): Promise<void>;
  readonly announcement: Accessor<string>;
  readonly screen: Accessor<Screen>;
  readonly theme: Accessor<Theme>;
  /** The reply or edit the composer is preparing, if any. */
  readonly draft: Accessor<Draft | undefined>;
  setDraft(draft: Draft | undefined): void;
  setScreen(screen: Screen): void;
  setTheme(theme: Theme): void;
  announce(text: string): void;
  openConversation(conv: ConversationId | undefined): Promise<void>;
  /**
   * A conversation's row was pointed at or focused: its newest page is asked for now and kept,
   * so a click draws it from memory (nothing new leaves the engine: the same page an open asks).
   */
  prefetch(conv: ConversationId): void;
  loadOlder(): Promise<number>;
  /** Sends a message (with the draft's reply and any files), or saves the draft's edit. */
  send(text: string, files?: readonly File[]): Promise<void>;
  search(query: string): Promise<SearchHit[]>;
  dismissNotice(id: string): void;
}

/** Someone shown typing in a conversation until `until` (ms since the epoch). */
interface Typer {
  readonly conv: ConversationId;
  readonly username: string;
  readonly until: number;
}

function mergeItems(
  set: SetStoreFunction<TimelineItem[]>,
  current: readonly TimelineItem[],
  incoming: readonly TimelineItem[],
): void {
  const byId = new Map(current.map((i) => [i.id, i]));
  for (const i of incoming) byId.set(i.id, i);
  set(reconcile([...byId.values()].sort(compareItems), { key: 'id' }));
}

export function createAppState(link: EngineLink): AppState {
  const [status, setStatus] = createSignal<EngineStatus>({
    phase: { kind: 'starting' },
    connection: 'connecting',
  });
  const [conversations, setConversations] = createStore<ConversationSummary[]>([]);
  const [open, setOpen] = createSignal<ConversationId | undefined>();
  const [items, setItems] = createStore<TimelineItem[]>([]);
  const [hasOlder, setHasOlder] = createSignal(false);
  const [timer, setTimer] = createSignal<number | undefined>();
  const [removed, setRemoved] = createSignal<ReadonlySet<string>>(new Set());
  const [notices, setNotices] = createStore<Notice[]>([]);
  const [announcement, setAnnouncement] = createSignal('');
  const [screen, setScreen] = createSignal<Screen>('chats');
  const [draft, setDraft] = createSignal<Draft | undefined>();
  const [profiles, setProfiles] = createStore<Record<string, { name: string; avatar?: string }>>(
    {},
  );
  const [typers, setTypers] = createSignal<readonly Typer[]>([]);
  const [typingOn, setTypingOnSignal] = createSignal(false);
  const stored = localStorage.getItem(THEME_KEY);
  const [theme, setThemeSignal] = createSignal<Theme>(THEMES.find((t) => t === stored) ?? 'system');
  const applyTheme = (t: Theme): void => {
    if (t === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = t;
  };
  applyTheme(theme());
  const announced = new Set<string>();
  const cache = createPageCache(PAGE_SIZE);
  /** Newest pages asked for ahead of a click (`prefetch`), until answered. */
  const prefetching = new Map<ConversationId, Promise<TimelineItem[]>>();
  /** The message the live region last announced (its text leaves the page if it is deleted). */
  let announcedId: string | undefined;

  /** The phase and when the current engine became ready, on the page (for tests and debugging). */
  const markPhase = (s: EngineStatus): void => {
    const root = document.documentElement;
    if (root.dataset['phase'] !== s.phase.kind && s.phase.kind === 'ready')
      root.dataset['readyAt'] = String(Date.now());
    root.dataset['phase'] = s.phase.kind;
  };

  const announce = (text: string): void => {
    // Cleared first so the same sentence twice is still announced.
    setAnnouncement('');
    queueMicrotask(() => setAnnouncement(text));
  };

  const putConversation = (summary: ConversationSummary): void => {
    const rest = conversations.filter((c) => c.id !== summary.id);
    setConversations(
      reconcile(
        [...rest, summary].sort(
          (a, b) => (b.lastAt ?? 0) - (a.lastAt ?? 0) || a.title.localeCompare(b.title),
        ),
        { key: 'id' },
      ),
    );
  };

  const putProfile = (p: ProfileView): void => {
    const before = profiles[p.username]?.avatar;
    if (before !== undefined) URL.revokeObjectURL(before);
    const avatar = p.avatar && URL.createObjectURL(p.avatar);
    setProfiles(p.username, { name: p.name, ...(avatar !== undefined && { avatar }) });
  };

  /** Stops showing `username` typing in `conv` (all of a conversation's without `username`). */
  const dropTyper = (conv: ConversationId, username?: string): void => {
    setTypers((list) =>
      list.filter((t) => t.conv !== conv || (username !== undefined && t.username !== username)),
    );
  };

  const visible = (): boolean => document.visibilityState === 'visible';

  const markRead = (conv: ConversationId): void => {
    link.request('markRead', { conv }).catch(() => undefined);
  };

  const onEvent = (e: EngineEvent): void => {
    switch (e.type) {
      case 'status': {
        const before = status();
        setStatus(e.status);
        markPhase(e.status);
        if (before.phase.kind !== 'ready' && e.status.phase.kind === 'ready') void reload();
        if (e.status.phase.kind !== 'ready')
          batch(() => {
            cache.clear();
            setOpen(undefined);
            setItems([]);
            setConversations([]);
          });
        if (before.connection !== e.status.connection && e.status.phase.kind === 'ready')
          announce(`Connection to the relay: ${e.status.connection}`);
        break;
      }
      case 'conversation':
        putConversation(e.summary);
        break;
      case 'items': {
        const fresh = e.items.filter(
          (i) => i.kind === 'message' && i.direction === 'in' && !announced.has(i.id),
        );
        for (const i of fresh) {
          announced.add(i.id);
          dropTyper(e.conv, i.sender);
        }
        if (announced.size > MAX_ANNOUNCED) announced.clear();
        const last = fresh.at(-1);
        if (e.items.some((i) => i.deleted === true && i.id === announcedId)) {
          announcedId = undefined;
          setAnnouncement('');
        }
        if (last !== undefined) announcedId = last.id;
        if (last !== undefined)
          announce(
            fresh.length === 1
              ? `New message from ${last.sender}: ${last.text}`
              : `${fresh.length} new messages, the last from ${last.sender}`,
          );
        if (fresh.length > 0)
          notifyIncoming(
            fresh,
            conversations.find((c) => c.id === e.conv)?.title ?? last?.sender ?? 'Parley',
            screen() === 'chats' && e.conv === open(),
            () => void state.openConversation(e.conv),
          );
        cache.merge(e.conv, e.items);
        if (e.conv === open()) {
          mergeItems(setItems, items, e.items);
          if (fresh.length > 0 && visible()) markRead(e.conv);
        }
        break;
      }
      case 'timer':
        if (e.conv === open()) setTimer(e.seconds);
        break;
      case 'removed': {
        // Expired: gone from the page, and from the live region if it was announced there.
        const gone = new Set(e.ids);
        if (announcedId !== undefined && gone.has(announcedId)) {
          announcedId = undefined;
          setAnnouncement('');
        }
        cache.remove(e.conv, e.ids);
        if (e.conv === open()) setItems((list) => list.filter((i) => !gone.has(i.id)));
        setRemoved(new Set(e.ids.map((id) => `${e.conv}\u0000${id}`)));
        break;
      }
      case 'notice':
        setNotices((n) => [...n, e.notice]);
        announce(e.notice.text);
        break;
      case 'profile':
        putProfile(e.profile);
        break;
      case 'typing': {
        dropTyper(e.conv, e.username);
        if (!e.started) break;
        const typer: Typer = { conv: e.conv, username: e.username, until: e.until };
        setTypers((list) => [...list, typer]);
        // Gone after the SDK's staleness unless a newer start replaced it.
        setTimeout(
          () => setTypers((list) => list.filter((t) => t !== typer)),
          Math.max(0, e.until - Date.now()),
        );
        break;
      }
    }
  };

  /** Loads everything again from the engine (first start, or a new engine leads). */
  const reload = async (): Promise<void> => {
    const s = await link.request('status', {});
    setStatus(s);
    markPhase(s);
    if (s.phase.kind !== 'ready') return;
    const list = await link.request('conversations', {});
    batch(() => {
      setConversations(reconcile(list, { key: 'id' }));
    });
    link.request('profiles', {}).then(
      (all) => {
        batch(() => {
          for (const p of all) putProfile(p);
        });
      },
      () => undefined,
    );
    link.request('settings', {}).then(
      (v) => setTypingOnSignal(v.typingIndicators),
      () => undefined,
    );
    const conv = open();
    if (conv !== undefined) await loadLatest(conv);
  };

  const latestPage = (conv: ConversationId): Promise<TimelineItem[]> =>
    link.request('timeline', { conv, limit: PAGE_SIZE }).then((page) => {
      // Answers and events come in order on one channel: later events merge into this page.
      cache.put(conv, page);
      for (const i of page) if (i.direction === 'in') announced.add(i.id);
      return page;
    });

  const loadLatest = async (
    conv: ConversationId,
    asked: Promise<TimelineItem[]> = latestPage(conv),
  ): Promise<void> => {
    const page = await asked;
    if (open() !== conv) return;
    batch(() => {
      setItems(reconcile(page, { key: 'id' }));
      setHasOlder(page.length === PAGE_SIZE);
    });
  };

  link.onEvent(onEvent);
  link.onLeader(() => {
    // A new engine: what the old one said is stale until it answers.
    cache.clear();
    document.documentElement.dataset['phase'] = 'starting';
    void reload().catch(() => undefined);
  });
  document.addEventListener('visibilitychange', () => {
    const conv = open();
    if (conv !== undefined && visible()) markRead(conv);
  });

  const sendMessage = async (
    conv: ConversationId,
    text: string,
    extra: { replyTo?: string; files?: readonly File[] },
  ): Promise<void> => {
    const since = Date.now();
    // If the engine stops mid-send (its tab closed), the next one sends it unless the one
    // before stored it first: never twice, never lost, however many hand-overs in a row.
    for (let attempt = 1; ; attempt++) {
      try {
        await link.request('send', { conv, text, ...extra, ...(attempt > 1 && { since }) });
        return;
      } catch (error) {
        if (
          !(error instanceof RequestError) ||
          error.code !== ENGINE_ERRORS.ENGINE_CHANGED ||
          attempt >= MAX_SEND_ATTEMPTS
        )
          throw error;
      }
    }
  };

  const state: AppState = {
    link,
    status,
    conversations,
    open,
    items,
    removed,
    timer,
    hasOlder,
    notices,
    nameOf: (username) => profiles[username]?.name,
    avatarOf: (username) => profiles[username]?.avatar,
    typing: () => typers().flatMap((t) => (t.conv === open() ? [t.username] : [])),
    typingOn,
    async setTypingOn(on) {
      await link.request('setTypingIndicators', { on });
      setTypingOnSignal(on);
    },
    announcement,
    screen,
    theme,
    draft,
    setDraft,
    setScreen,
    setTheme(t) {
      localStorage.setItem(THEME_KEY, t);
      setThemeSignal(t);
      applyTheme(t);
    },
    announce,
    async openConversation(conv) {
      // The page is asked for before the conversation renders, and before anything else the
      // engine would do first (the key check, the read mark), so it shows as soon as it can.
      // A page asked for ahead of the click and not answered yet is the one waited for (the
      // answer and the events after it come in order, as for a page asked for now).
      const asked = conv === undefined ? undefined : (prefetching.get(conv) ?? latestPage(conv));
      // A kept page draws at once; the engine's answer then replaces it.
      const kept = (conv !== undefined && cache.get(conv)) || [];
      batch(() => {
        setScreen('chats');
        setOpen(conv);
        setDraft(undefined);
        setItems(kept);
        setHasOlder(kept.length === PAGE_SIZE);
        setTimer(undefined);
      });
      if (conv === undefined || asked === undefined) return;
      link.request('disappearingTimer', { conv }).then(
        (t) => {
          if (open() === conv) setTimer(t.seconds);
        },
        () => undefined,
      );
      try {
        await loadLatest(conv, asked);
      } finally {
        // Opening a conversation with a person looks their key up again, so a change shows
        // before anything is sent.
        const target = parseConvId(conv);
        if (target?.kind === 'direct')
          link.request('checkContact', { username: target.username }).catch(() => undefined);
      }
      markRead(conv);
    },
    prefetch(conv) {
      if (conv === open() || prefetching.has(conv) || cache.has(conv)) return;
      const asked = latestPage(conv);
      prefetching.set(conv, asked);
      const done = (): void => {
        if (prefetching.get(conv) === asked) prefetching.delete(conv);
      };
      asked.then(done, done);
    },
    async loadOlder() {
      const conv = open();
      const first = items[0];
      if (conv === undefined || first === undefined) return 0;
      const page = await link.request('timeline', {
        conv,
        limit: PAGE_SIZE,
        before: { at: first.at, id: first.id },
      });
      if (open() !== conv) return 0;
      for (const i of page) if (i.direction === 'in') announced.add(i.id);
      batch(() => {
        mergeItems(setItems, items, page);
        setHasOlder(page.length === PAGE_SIZE);
      });
      return page.length;
    },
    async send(text, files = []) {
      const conv = open();
      if (conv === undefined) return;
      // The composer leaves the reply or edit at once (the next message is a new one); a
      // failure brings it back with the text.
      const d = draft();
      setDraft(undefined);
      try {
        if (d?.kind === 'edit') {
          await link.request('edit', { conv, id: d.item.id, text });
          return;
        }
        await sendMessage(conv, text, {
          ...(d?.kind === 'reply' && { replyTo: d.item.id }),
          ...(files.length > 0 && { files }),
        });
      } catch (error) {
        if (draft() === undefined && open() === conv) setDraft(d);
        throw error;
      }
    },
    search(query) {
      return link.request('search', { query, limit: 50 });
    },
    dismissNotice(id) {
      setNotices((n) => n.filter((x) => x.id !== id));
    },
  };
  return state;
}
