/**
 * The live connection's socket in the browser: the platform's WebSocket, binary frames as
 * bytes (delivery protocol 2; a text frame is handed on as `undefined`, which the connection
 * treats as a broken relay). Once `close` is called nothing more is handed on (the browser may
 * still deliver frames that were on their way, and the engine may be closing its store).
 */
import type { SocketFactory } from '@parley/client';

/** A factory whose sockets also report the relay's close code (`onClosed`) before closing. */
export const browserSocketFactory =
  (onClosed: (code: number) => void): SocketFactory =>
  (url, handlers) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let closed = false;
    ws.onopen = () => {
      if (!closed) handlers.onOpen();
    };
    ws.onmessage = (event: MessageEvent<unknown>) => {
      if (closed) return;
      handlers.onMessage(
        event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : undefined,
      );
    };
    ws.onclose = (event: CloseEvent) => {
      if (!closed) onClosed(event.code);
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
