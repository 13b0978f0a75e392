/** The live connection's socket in Node: the `ws` package. */
import WebSocket from 'ws';
import type { SocketFactory } from './live.js';

export const nodeSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.on('open', () => {
    handlers.onOpen();
  });
  ws.on('message', (data: WebSocket.RawData) => {
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(new Uint8Array(data));
    handlers.onMessage(bytes.toString('utf8'));
  });
  ws.on('close', () => {
    handlers.onClose();
  });
  ws.on('error', () => {
    // 'close' follows; the connection reconnects from there.
  });
  return {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: () => {
      ws.terminate();
    },
  };
};
