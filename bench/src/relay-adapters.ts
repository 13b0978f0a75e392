// The load generator's clients, one per system, all with the same shape: a device connects,
// sends 200-byte messages to other devices (`stored` tells when the system accepted one), and
// reports each message it receives by the id the generator gave it. Parley speaks delivery
// protocol 2 over `ws` (one `send` frame per connection per tick, one cumulative ack per turn);
// Mosquitto gets MQTT 3.1.1 QoS 1 through the `mqtt` package (PUBACK is "stored"); NATS gets core
// publish/subscribe through the `nats` package (no acknowledgement exists, so a publish counts
// as accepted when it is handed to the client).
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { connect as natsConnect, type NatsConnection } from 'nats';
import { decodeServerFrame, encodeAck, encodeAuth, encodeSends, limits } from '@parley/api';
import type { WireSend } from '@parley/api';

/** What the parent tells a worker about one device. */
export interface DeviceInfo {
  readonly index: number;
  /** Parley only. */
  readonly accountId?: string;
  readonly registrationId?: number;
  readonly secret?: string;
}

export interface Received {
  (id: string): void;
}

/** One connected device. */
export interface Client {
  /** Queues one message to `to`; `done` is called with whether the system accepted it. */
  send(to: DeviceInfo, id: string, payload: Uint8Array, done: (ok: boolean) => void): void;
  /** Sends what was queued in this tick (Parley batches sends per frame). */
  flush(): void;
  close(): Promise<void>;
}

export interface Adapter {
  connect(device: DeviceInfo, onReceived: Received): Promise<Client>;
}

export type SystemName = 'parley' | 'mosquitto' | 'nats';

const ZERO_MASK = (mask: Buffer): void => {
  // Loopback, no proxies: a zero mask makes the XOR a no-op on both sides.
  mask.fill(0);
};

/** Parley over delivery protocol 2. */
export function parleyAdapter(port: number): Adapter {
  return {
    connect: (device, onReceived) =>
      new Promise<Client>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`, {
          perMessageDeflate: false,
          skipUTF8Validation: true,
          generateMask: ZERO_MASK,
          maxPayload: limits.MAX_SERVER_FRAME_BYTES,
        });
        let queued: WireSend[] = [];
        const pending = new Map<number, (ok: boolean) => void>();
        let nextRequestId = 0;
        let ackSeq = 0;
        let ackScheduled = false;
        const flushAck = (): void => {
          ackScheduled = false;
          if (ws.readyState === WebSocket.OPEN) ws.send(encodeAck(ackSeq));
        };
        const client: Client = {
          send: (to, id, payload, done) => {
            const requestId = nextRequestId++ >>> 0;
            pending.set(requestId, done);
            queued.push({
              requestId,
              clientMessageId: id,
              destinations: [
                {
                  accountId: to.accountId ?? '',
                  deviceId: 1,
                  registrationId: to.registrationId ?? 0,
                  type: 1,
                  content: payload,
                },
              ],
            });
          },
          flush: () => {
            if (queued.length === 0) return;
            const sends = queued;
            queued = [];
            for (let i = 0; i < sends.length; i += limits.MAX_SENDS_PER_FRAME)
              ws.send(encodeSends(sends.slice(i, i + limits.MAX_SENDS_PER_FRAME)));
          },
          close: () =>
            new Promise<void>((done) => {
              if (ws.readyState === WebSocket.CLOSED) done();
              else {
                ws.once('close', () => {
                  done();
                });
                ws.terminate();
              }
            }),
        };
        ws.once('error', reject);
        ws.once('open', () => {
          ws.send(
            encodeAuth(device.accountId ?? '', 1, Buffer.from(device.secret ?? '', 'base64')),
          );
        });
        ws.on('message', (data: Buffer) => {
          const frame = decodeServerFrame(data);
          switch (frame.kind) {
            case 'ready':
              resolve(client);
              return;
            case 'push':
              for (const e of frame.envelopes) onReceived(e.clientMessageId);
              ackSeq = frame.envelopes.at(-1)?.seq ?? ackSeq;
              if (!ackScheduled) {
                ackScheduled = true;
                setImmediate(flushAck);
              }
              return;
            case 'results':
              for (const r of frame.results) {
                const done = pending.get(r.requestId);
                pending.delete(r.requestId);
                done?.(r.status !== 'error');
              }
              return;
            default:
              return;
          }
        });
        ws.on('close', () => {
          for (const done of pending.values()) done(false);
          pending.clear();
        });
      }),
  };
}

/** The id travels at the start of the payload, `|`-terminated. */
function payloadWithId(id: string, payload: Uint8Array): Buffer {
  const out = Buffer.from(payload);
  out.write(`${id}|`, 0, 'latin1');
  return out;
}

function idOfPayload(payload: Uint8Array): string {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return b.toString('latin1', 0, b.indexOf(0x7c));
}

/** Mosquitto: MQTT 3.1.1, QoS 1 both ways, one client per device. */
export function mqttAdapter(runId: string, persistent = false): Adapter {
  return {
    connect: async (device, onReceived) => {
      const client = mqtt.connect('mqtt://127.0.0.1:1883', {
        clientId: `pb${runId}-${String(device.index)}`,
        clean: !persistent,
        reconnectPeriod: 0,
        keepalive: 120,
        protocolVersion: 4,
      });
      // Before the CONNACK: a persistent session's queued messages follow it at once.
      client.on('message', (_topic, payload) => {
        onReceived(idOfPayload(payload));
      });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => {
          resolve();
        });
        client.once('error', reject);
      });
      await client.subscribeAsync(`pb${runId}/${device.index}`, { qos: 1 });
      return {
        send: (to, id, payload, done) => {
          client.publish(
            `pb${runId}/${to.index}`,
            payloadWithId(id, payload),
            { qos: 1 },
            (error?: Error | null) => {
              done(error === undefined || error === null);
            },
          );
        },
        flush: () => undefined,
        close: async () => {
          await client.endAsync(true);
        },
      };
    },
  };
}

/** NATS core: publish/subscribe, one connection per device. */
export function natsAdapter(runId: string): Adapter {
  return {
    connect: async (device, onReceived) => {
      const nc: NatsConnection = await natsConnect({
        servers: '127.0.0.1:4222',
        maxReconnectAttempts: 0,
        noEcho: true,
      });
      nc.subscribe(`pb${runId}.${device.index}`, {
        callback: (_error, msg) => {
          onReceived(idOfPayload(msg.data));
        },
      });
      await nc.flush();
      return {
        send: (to, id, payload, done) => {
          nc.publish(`pb${runId}.${to.index}`, payloadWithId(id, payload));
          done(true);
        },
        flush: () => undefined,
        close: async () => {
          await nc.close();
        },
      };
    },
  };
}
