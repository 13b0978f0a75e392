/**
 * The live connection's socket in the browser: the platform's WebSocket. Once `close` is
 * called nothing more is handed on (the browser may still deliver frames that were on their
 * way, and the engine may be closing its store).
 */
import type { SocketFactory } from '@parley/client';

export const browserSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  let closed = false;
  ws.onopen = () => {
    if (!closed) handlers.onOpen();
  };
  ws.onmessage = (event: MessageEvent<unknown>) => {
    if (!closed && typeof event.data === 'string') handlers.onMessage(event.data);
  };
  ws.onclose = () => {
    handlers.onClose();
  };
  return {
    send: (data) => {
      if (!closed && ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: () => {
      closed = true;
      ws.close();
    },
  };
};
