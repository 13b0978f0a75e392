/**
 * WebSocket frames on `GET /v1/websocket`. Every frame is one JSON text message. The client's
 * first frame must be `auth` (within the relay's auth timeout); the relay answers `ready` and then
 * pushes `message` frames, at most `MAX_IN_FLIGHT_MESSAGES` unacknowledged at a time, in queue
 * order. `ack` deletes messages; `queue-empty` says everything queued at that moment was sent.
 * Heartbeats are WebSocket pings from the relay; a client may also send `ping` and gets `pong`.
 * A client may also send messages over the socket: `send` carries the same body as
 * `POST /v1/messages` and a client-chosen `requestId`; the relay answers `send-result` once the
 * message is durable, or `send-error` with a registry code (e.g. `DEVICE_MISMATCH` and its
 * details), exactly as the HTTP route would.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_SECRET_BYTES, MAX_ACKS_PER_REQUEST } from './limits.js';
import { Base64, DeviceId, Envelope, Id, SendRequest, SendResponse } from './schemas.js';

/** Largest `requestId` of a `send` frame (ids are echoed back, never interpreted). */
const MAX_REQUEST_ID = 0x7fff_ffff;
const RequestId = Type.Integer({ minimum: 0, maximum: MAX_REQUEST_ID });

const strict = { additionalProperties: false } as const;

export const AuthFrame = Type.Object(
  {
    type: Type.Literal('auth'),
    accountId: Id,
    deviceId: DeviceId,
    secret: Base64(DEVICE_SECRET_BYTES, DEVICE_SECRET_BYTES),
  },
  strict,
);
export const AckFrame = Type.Object(
  {
    type: Type.Literal('ack'),
    guids: Type.Array(Id, { minItems: 1, maxItems: MAX_ACKS_PER_REQUEST }),
  },
  strict,
);
export const PingFrame = Type.Object({ type: Type.Literal('ping') }, strict);
export const SendFrame = Type.Object(
  { type: Type.Literal('send'), requestId: RequestId, request: SendRequest },
  strict,
);

/** Frames a client sends. */
export const ClientFrame = Type.Union([AuthFrame, AckFrame, PingFrame, SendFrame]);
export type ClientFrame = Static<typeof ClientFrame>;

/** Frames the relay sends. */
export const ServerFrame = Type.Union([
  Type.Object({ type: Type.Literal('ready') }),
  Type.Object({ type: Type.Literal('message'), message: Envelope }),
  Type.Object({ type: Type.Literal('queue-empty') }),
  /** This device's one-time prekeys are running low: upload more. */
  Type.Object({ type: Type.Literal('keys-low') }),
  Type.Object({ type: Type.Literal('pong') }),
  Type.Object({ type: Type.Literal('send-result'), requestId: RequestId, result: SendResponse }),
  Type.Object({
    type: Type.Literal('send-error'),
    requestId: RequestId,
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  }),
  Type.Object({ type: Type.Literal('error'), code: Type.String() }),
]);
export type ServerFrame = Static<typeof ServerFrame>;
