/** The live connection's socket in Node: the `ws` package. */
import WebSocket from 'ws';
import { limits } from '@parley/api';
import type { SocketFactory } from './live.js';

export const nodeSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: limits.MAX_SERVER_FRAME_BYTES,
  });
  ws.on('open', () => {
    handlers.onOpen();
  });
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (!isBinary) {
      handlers.onMessage(undefined);
      return;
    }
    handlers.onMessage(
      Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data,
    );
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
