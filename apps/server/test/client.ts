/** A tiny HTTP client for process tests (fetch, Basic auth, the relay's JSON). */
import { randomBytes } from 'node:crypto';

export interface Device {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly secret: string;
  readonly auth: string;
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export async function call(
  base: string,
  method: string,
  path: string,
  auth?: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(auth === undefined ? {} : { authorization: auth }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function registerDevice(base: string, username: string): Promise<Device> {
  const secret = b64(randomBytes(32));
  const registrationId = 1 + (randomBytes(2).readUInt16BE(0) % 16000);
  const res = await call(base, 'POST', '/v1/accounts', undefined, {
    username,
    identityKey: b64(randomBytes(33)),
    device: { secret, registrationId, identityKey: b64(randomBytes(33)) },
  });
  if (res.status !== 201) throw new Error(`register ${res.status}`);
  const { accountId } = (await res.json()) as { accountId: string };
  return {
    accountId,
    deviceId: 1,
    registrationId,
    secret,
    auth: `Basic ${Buffer.from(`${accountId}.1:${secret}`).toString('base64')}`,
  };
}

export function sendBody(to: Device, clientMessageId: string, content: Uint8Array) {
  return {
    clientMessageId,
    destinations: [
      {
        accountId: to.accountId,
        deviceId: to.deviceId,
        registrationId: to.registrationId,
        type: 1,
        content: b64(content),
      },
    ],
  };
}

interface Page {
  messages: { guid: string; clientMessageId: string; content: string }[];
  more: boolean;
}

/** Fetches and acknowledges until the queue is empty; returns every message in order. */
export async function drain(base: string, d: Device): Promise<Page['messages']> {
  const all: Page['messages'] = [];
  for (;;) {
    const page = (await (await call(base, 'GET', '/v1/messages', d.auth)).json()) as Page;
    all.push(...page.messages);
    if (page.messages.length === 0) return all;
    const ack = await call(base, 'POST', '/v1/messages/acks', d.auth, {
      guids: page.messages.map((m) => m.guid),
    });
    if (ack.status !== 204) throw new Error(`ack ${ack.status}`);
  }
}
