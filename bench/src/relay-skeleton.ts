// A throwaway relay skeleton for `bench:relay --subject skeleton-ws|skeleton-net`: Node's floor
// for the relay's socket side. It speaks delivery protocol 2 to the load generator exactly as far
// as the generator needs (auth → ready, send → results and a push to the recipient, acks read and
// checked) and does nothing else: no storage, no credentials, no queue, no flow control, no
// heartbeats. What a message costs here is what receiving, decoding, framing and writing it costs
// on Node, so the relay's CPU per message minus this one's is the relay's own work.
//
// `ws`: the relay's socket side as the relay sets it up (`ws`'s `WebSocketServer` with the
// relay's options parses client frames; the frames of one turn leave in one write through the
// relay's own framing). `net`: the same on a plain `http` upgrade with a minimal RFC 6455 reader
// (binary and control frames, masked, unfragmented; anything else closes the socket).
//
// Usage (the bench starts it): `node --import tsx --conditions=parley-source
// bench/src/relay-skeleton.ts ws|net`; it prints `listening on http://127.0.0.1:PORT`.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import {
  FrameError,
  decodeClientFrame,
  encodePush,
  encodeReady,
  encodeResults,
  limits,
  type ClientFrame,
  type PushedEnvelope,
  type SendResult,
} from '@parley/api';
import { binaryFrames } from '@parley/relay/testing';

/** The window the skeleton announces (the relay's default `maxInFlight`). */
const MAX_IN_FLIGHT = 256;
/** RFC 6455's key suffix for `Sec-WebSocket-Accept`. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
/** A close frame with status 1002 (protocol error). */
const CLOSE_PROTOCOL_ERROR = Buffer.from([0x88, 0x02, 0x03, 0xea]);

/** One connected device: frames queued in a turn leave in one write at its end. */
class Peer {
  accountId = '';
  /** Sequence numbers pushed, and the highest acknowledged. */
  seq = 0;
  acked = 0;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #results: SendResult[] = [];
  constructor(private readonly socket: Duplex) {}

  send(frame: Uint8Array): void {
    if (this.#out.push(frame) === 1 && this.#results.length === 0) atEndOfTurn(this);
    this.#outBytes += frame.length;
  }

  result(r: SendResult): void {
    if (this.#results.push(r) === 1 && this.#out.length === 0) atEndOfTurn(this);
  }

  endOfTurn(): void {
    const results = this.#results;
    if (results.length > 0) {
      this.#results = [];
      for (let i = 0; i < results.length; i += limits.MAX_RESULTS_PER_FRAME) {
        const frame = encodeResults(results.slice(i, i + limits.MAX_RESULTS_PER_FRAME));
        this.#out.push(frame);
        this.#outBytes += frame.length;
      }
    }
    if (this.#out.length === 0) return;
    const frames = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (!this.socket.destroyed) this.socket.write(binaryFrames(frames, bytes));
  }
}

let turnEnds: Peer[] = [];
function runTurnEnds(): void {
  const due = turnEnds;
  turnEnds = [];
  for (const p of due) p.endOfTurn();
}
function atEndOfTurn(p: Peer): void {
  if (turnEnds.push(p) === 1) setImmediate(runTurnEnds);
}

const peers = new Map<string, Peer>();

/** Handles one client frame; false closes the connection. */
function onFrame(peer: Peer, bytes: Uint8Array): boolean {
  let frame: ClientFrame;
  try {
    frame = decodeClientFrame(bytes);
  } catch (error) {
    if (error instanceof FrameError) return false;
    throw error;
  }
  switch (frame.kind) {
    case 'auth':
      peer.accountId = frame.accountId;
      peers.set(frame.accountId, peer);
      peer.send(encodeReady(MAX_IN_FLIGHT));
      return true;
    case 'ping':
      return true;
    case 'ack':
      if (frame.seq > peer.seq) return false;
      if (frame.seq > peer.acked) peer.acked = frame.seq;
      return true;
    case 'send': {
      const now = Date.now();
      for (const s of frame.sends) {
        for (const d of s.destinations) {
          const to = peers.get(d.accountId);
          if (to === undefined) continue;
          const envelope: PushedEnvelope = {
            seq: ++to.seq,
            guid: randomUUID(),
            senderAccountId: peer.accountId,
            senderDeviceId: 1,
            clientMessageId: s.clientMessageId,
            type: d.type,
            serverTimestamp: now,
            content: d.content,
          };
          to.send(encodePush([envelope]));
        }
        peer.result({ requestId: s.requestId, status: 'stored', serverTimestamp: now });
      }
      return true;
    }
  }
}

function forget(peer: Peer): void {
  if (peers.get(peer.accountId) === peer) peers.delete(peer.accountId);
}

/** `ws` as the relay configures it (`Delivery` in packages/relay/src/delivery.ts). */
function wsUpgrade(): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
  });
  return (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer = new Peer(socket);
      ws.on('message', (data: RawData) => {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : data;
        if (!onFrame(peer, bytes)) ws.terminate();
      });
      ws.on('close', () => {
        forget(peer);
      });
    });
  };
}

/** A plain upgrade and a minimal frame reader on the raw socket. */
function netUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') {
    socket.destroy();
    return;
  }
  const accept = createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const peer = new Peer(socket);
  let pending: Buffer = Buffer.alloc(0);
  const fail = (): void => {
    socket.end(CLOSE_PROTOCOL_ERROR);
  };
  const onData = (chunk: Buffer): void => {
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      if (buf.length - at < 2) break;
      const b0 = buf[at] ?? 0;
      const b1 = buf[at + 1] ?? 0;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (!fin || (b1 & 0x80) === 0) {
        fail();
        return;
      }
      let len = b1 & 0x7f;
      let h = 2;
      if (len === 126) {
        if (buf.length - at < 4) break;
        len = buf.readUInt16BE(at + 2);
        h = 4;
      } else if (len === 127) {
        if (buf.length - at < 10) break;
        len = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
        h = 10;
      }
      if (len > limits.MAX_CLIENT_FRAME_BYTES) {
        fail();
        return;
      }
      if (buf.length - at < h + 4 + len) break;
      const m = at + h;
      const start = m + 4;
      const payload = buf.subarray(start, start + len);
      const mask = buf.subarray(m, start);
      for (let i = 0; i < len; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
      at = start + len;
      if (opcode === OPCODE_BINARY) {
        if (!onFrame(peer, payload)) {
          fail();
          return;
        }
      } else if (opcode === OPCODE_PING) {
        socket.write(Buffer.concat([Buffer.from([0x80 | OPCODE_PONG, len]), payload]));
      } else if (opcode === OPCODE_CLOSE) {
        socket.end(Buffer.from([0x80 | OPCODE_CLOSE, 0]));
        return;
      } else if (opcode !== OPCODE_PONG) {
        fail();
        return;
      }
    }
    pending = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
  };
  socket.on('data', onData);
  socket.on('close', () => {
    forget(peer);
  });
  socket.on('error', () => {
    socket.destroy();
  });
  if (head.length > 0) onData(head);
}

function main(): void {
  const mode = process.argv[2];
  if (mode !== 'ws' && mode !== 'net') throw new Error('usage: relay-skeleton.ts ws|net');
  const upgrade = mode === 'ws' ? wsUpgrade() : netUpgrade;
  const server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (req.url !== '/v1/websocket') {
      socket.destroy();
      return;
    }
    upgrade(req, socket, head);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    console.log(`listening on http://127.0.0.1:${String(port)}`);
  });
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

main();
