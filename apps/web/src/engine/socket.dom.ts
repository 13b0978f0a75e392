/** The live connection's socket in the browser: the platform's WebSocket. */
import type { SocketFactory } from '@parley/client';

export const browserSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.onopen = () => {
    handlers.onOpen();
  };
  ws.onmessage = (event: MessageEvent<unknown>) => {
    if (typeof event.data === 'string') handlers.onMessage(event.data);
  };
  ws.onclose = () => {
    handlers.onClose();
  };
  return {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: () => {
      ws.close();
    },
  };
};
