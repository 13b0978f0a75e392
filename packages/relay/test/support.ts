/** Test helpers: a relay on memory storage, and clients that register and authenticate. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  basicAuthHeader,
  createMemoryStorage,
  createRelay,
  type RelayOptions,
} from '@parley/relay';

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const randomKey = (n = 33): string => b64(randomBytes(n));

export async function newRelay(options: Partial<RelayOptions> = {}): Promise<FastifyInstance> {
  return createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    sweepIntervalMs: false,
    ...options,
  });
}

export interface TestDevice {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly secret: string;
  readonly auth: string;
}

export function newDeviceBody(registrationId = 1 + Math.floor(Math.random() * 16000)) {
  return { secret: b64(randomBytes(32)), registrationId, identityKey: randomKey() };
}

export async function register(app: FastifyInstance, username: string): Promise<TestDevice> {
  const device = newDeviceBody();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { username, identityKey: randomKey(), device },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const { accountId } = res.json<{ accountId: string }>();
  return {
    accountId,
    deviceId: 1,
    registrationId: device.registrationId,
    secret: device.secret,
    auth: basicAuthHeader(accountId, 1, device.secret),
  };
}

export async function link(app: FastifyInstance, primary: TestDevice): Promise<TestDevice> {
  const tokenRes = await app.inject({
    method: 'POST',
    url: '/v1/devices/link-tokens',
    headers: { authorization: primary.auth },
  });
  const { linkToken } = tokenRes.json<{ linkToken: string }>();
  const device = newDeviceBody();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/devices',
    payload: { linkToken, device },
  });
  if (res.statusCode !== 201) throw new Error(`link failed: ${res.statusCode} ${res.body}`);
  const { deviceId } = res.json<{ deviceId: number }>();
  return {
    accountId: primary.accountId,
    deviceId,
    registrationId: device.registrationId,
    secret: device.secret,
    auth: basicAuthHeader(primary.accountId, deviceId, device.secret),
  };
}

/** One destination per device in `to`, with a content that names the device. */
export function destinations(to: readonly TestDevice[], text = 'ciphertext') {
  return to.map((d) => ({
    accountId: d.accountId,
    deviceId: d.deviceId,
    registrationId: d.registrationId,
    type: 1,
    content: b64(Buffer.from(`${text}:${d.accountId}:${d.deviceId}`)),
  }));
}

export async function send(
  app: FastifyInstance,
  from: TestDevice,
  to: readonly TestDevice[],
  clientMessageId: string,
  text?: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { authorization: from.auth },
    payload: { clientMessageId, destinations: destinations(to, text) },
  });
}

export function errorCode(res: LightMyRequestResponse): string {
  return res.json<{ error: { code: string } }>().error.code;
}
