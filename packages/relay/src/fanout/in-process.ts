import type { FanOut, FanOutEvent, FanOutHandler } from './types.js';

/** Fan-out within one process: a map from channel to handlers. */
export function createInProcessFanOut(): FanOut {
  const channels = new Map<string, Set<FanOutHandler>>();
  return {
    publish: (channel: string, event: FanOutEvent) => {
      const handlers = channels.get(channel);
      // A Set visits what it holds when the loop reaches it: a handler that unsubscribes
      // (a connection closing) does not disturb the others.
      if (handlers !== undefined)
        for (const handler of handlers) {
          // A failing subscriber must not fail the publisher or the other subscribers.
          try {
            handler(event);
          } catch {
            /* the subscriber logs its own failures */
          }
        }
      return Promise.resolve();
    },
    subscribe: (channel, handler) => {
      let set = channels.get(channel);
      if (set === undefined) {
        set = new Set();
        channels.set(channel, set);
      }
      set.add(handler);
      return Promise.resolve(() => {
        const current = channels.get(channel);
        current?.delete(handler);
        if (current?.size === 0) channels.delete(channel);
        return Promise.resolve();
      });
    },
    close: () => {
      channels.clear();
      return Promise.resolve();
    },
  };
}
