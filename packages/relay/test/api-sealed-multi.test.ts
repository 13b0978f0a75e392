// Multi-recipient (sealed sender v2) sends: the relay splits libsignal's sent form per device
// (each device gets `0x22 ‖ its entry's C ‖ AT ‖ shared`), admits the request only with every
// named account's delivery token, stores nothing on any refusal (malformed framing, tokens that
// do not match the recipient list, one wrong token, another account's token, device mismatch,
// oversize), stores no sender, and rate-limits like the single-account route.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { limits } from '@parley/api';
import { createMemoryStorage, type Storage } from '@parley/relay';
import { b64, errorCode, link, newRelay, register, type TestDevice } from './support.js';

const token = (): string => b64(randomBytes(32));

const putToken = async (app: FastifyInstance, d: TestDevice, deliveryToken: string) => {
  const res = await app.inject({
    method: 'PUT',
    url: '/v1/sealed-sender/delivery-token',
    headers: { authorization: d.auth },
    payload: { deliveryToken },
  });
  assert.equal(res.statusCode, 204);
};

/** One recipient entry of the sent form; `devices` empty for an excluded recipient. */
interface Entry {
  readonly accountId: string;
  readonly devices: readonly { readonly deviceId: number; readonly registrationId: number }[];
  /** C ‖ AT (48 bytes); random unless given. */
  readonly keyMaterial?: Uint8Array;
  /** ServiceId kind byte (0 ACI, 1 PNI). */
  readonly kind?: number;
}

/** Test-only builder of libsignal's sent form (`0x23`), hostile variants by its arguments. */
function sentForm(entries: readonly Entry[], shared: Uint8Array, version = 0x23): Uint8Array {
  const parts: Buffer[] = [Buffer.of(version)];
  for (let n = entries.length; ; n = Math.floor(n / 128)) {
    parts.push(Buffer.of(n >= 128 ? (n & 0x7f) | 0x80 : n));
    if (n < 128) break;
  }
  for (const e of entries) {
    const uuid = Buffer.from(e.accountId.replaceAll('-', ''), 'hex');
    parts.push(version === 0x23 ? Buffer.concat([Buffer.of(e.kind ?? 0), uuid]) : uuid);
    if (e.devices.length === 0) {
      parts.push(Buffer.of(0));
      continue;
    }
    e.devices.forEach((d, i) => {
      const word = d.registrationId | (i < e.devices.length - 1 ? 0x8000 : 0);
      parts.push(Buffer.of(d.deviceId, word >> 8, word & 0xff));
    });
    parts.push(Buffer.from(e.keyMaterial ?? randomBytes(48)));
  }
  parts.push(Buffer.from(shared));
  return Buffer.concat(parts);
}

const entry = (devices: readonly TestDevice[], keyMaterial?: Uint8Array): Entry => ({
  accountId: devices[0]?.accountId ?? assert.fail('no device'),
  devices: devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })),
  ...(keyMaterial === undefined ? {} : { keyMaterial }),
});

const multi = (
  app: FastifyInstance,
  message: Uint8Array | string,
  tokens: readonly { accountId: string; deliveryToken: string }[],
  remoteAddress = '10.0.0.1',
) =>
  app.inject({
    method: 'POST',
    url: '/v1/sealed-sender/multi-recipient',
    remoteAddress,
    payload: {
      message: typeof message === 'string' ? message : b64(message),
      tokens,
      clientMessageId: `m-${randomBytes(4).toString('hex')}`,
    },
  });

interface Page {
  messages: { senderAccountId: string; senderDeviceId: number; type: number; content: string }[];
}
const fetchPage = async (app: FastifyInstance, d: TestDevice): Promise<Page> =>
  (
    await app.inject({ method: 'GET', url: '/v1/messages', headers: { authorization: d.auth } })
  ).json<Page>();

/** Two recipients (bob with two devices, carol with one), tokens registered. */
async function setup(app: FastifyInstance) {
  const bob = await register(app, 'bob');
  const bob2 = await link(app, bob);
  const carol = await register(app, 'carol');
  const bobToken = token();
  const carolToken = token();
  await putToken(app, bob, bobToken);
  await putToken(app, carol, carolToken);
  const tokens = [
    { accountId: bob.accountId, deliveryToken: bobToken },
    { accountId: carol.accountId, deliveryToken: carolToken },
  ];
  return { bob, bob2, carol, tokens, all: [bob, bob2, carol] };
}

/** The error's code and message: which check refused. */
const reason = (res: LightMyRequestResponse): string => {
  const { code, message } = res.json<{ error: { code: string; message: string } }>().error;
  return `${code}: ${message}`;
};

const shared = (): Uint8Array => randomBytes(32 + 40);

async function assertNothingQueued(app: FastifyInstance, devices: readonly TestDevice[]) {
  for (const d of devices) assert.equal((await fetchPage(app, d)).messages.length, 0);
}

describe('multi-recipient sealed sends', () => {
  test('each device gets 0x22 ‖ its own entry’s key material ‖ shared, with no sender', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens } = await setup(app);
    const s = shared();
    // One entry per device for bob (each Parley device has its own identity key), one for carol.
    const km = [randomBytes(48), randomBytes(48), randomBytes(48)];
    const message = sentForm([entry([bob], km[0]), entry([carol], km[2]), entry([bob2], km[1])], s);
    const res = await multi(app, message, tokens);
    assert.equal(res.statusCode, 200, res.body);
    for (const [d, k] of [
      [bob, km[0]],
      [bob2, km[1]],
      [carol, km[2]],
    ] as const) {
      const [m, ...rest] = (await fetchPage(app, d)).messages;
      assert.equal(rest.length, 0);
      assert.equal(m?.senderAccountId, '');
      assert.equal(m.senderDeviceId, 0);
      assert.equal(m.type, limits.SEALED_SENDER_ENVELOPE_TYPE);
      assert.deepEqual(
        Buffer.from(m.content, 'base64'),
        Buffer.concat([Buffer.of(0x22), Buffer.from(k ?? []), Buffer.from(s)]),
      );
    }
    await app.close();
  });

  test('libsignal’s shape (one entry, several devices; the 0x22 UUID form) shares the key material; an excluded recipient is skipped', async () => {
    const app = await newRelay();
    const { bob, bob2, tokens } = await setup(app);
    const dave = await register(app, 'dave');
    const km = randomBytes(48);
    for (const version of [0x23, 0x22]) {
      const s = shared();
      const message = sentForm(
        [entry([bob, bob2], km), { ...entry([dave]), devices: [] }],
        s,
        version,
      );
      const res = await multi(app, message, [tokens[0] ?? assert.fail()]);
      assert.equal(res.statusCode, 200, res.body);
      for (const d of [bob, bob2]) {
        const last = (await fetchPage(app, d)).messages.at(-1);
        assert.deepEqual(
          Buffer.from(last?.content ?? '', 'base64'),
          Buffer.concat([Buffer.of(0x22), km, Buffer.from(s)]),
        );
      }
    }
    await assertNothingQueued(app, [dave]);
    await app.close();
  });

  test('one wrong token, another account’s token or an unknown account refuses the whole request; nothing stored', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens, all } = await setup(app);
    const message = sentForm([entry([bob, bob2]), entry([carol])], shared());
    const [bobT, carolT] = [tokens[0] ?? assert.fail(), tokens[1] ?? assert.fail()];
    const refused = async (t: typeof tokens, m = message) => {
      const res = await multi(app, m, t);
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(errorCode(res), 'DELIVERY_TOKEN_INVALID');
    };
    await refused([bobT, { ...carolT, deliveryToken: token() }]);
    await refused([bobT, { ...carolT, deliveryToken: bobT.deliveryToken }]); // bob's, for carol
    await refused([{ ...bobT, deliveryToken: carolT.deliveryToken }, carolT]);
    const ghost = '00000000-0000-4000-8000-000000000000';
    await refused(
      [bobT, carolT, { accountId: ghost, deliveryToken: token() }],
      sentForm(
        [
          entry([bob, bob2]),
          entry([carol]),
          { accountId: ghost, devices: [{ deviceId: 1, registrationId: 1 }] },
        ],
        shared(),
      ),
    );
    await assertNothingQueued(app, all);
    await app.close();
  });

  test('a token list that does not name exactly the message’s recipients is INVALID_REQUEST; nothing stored', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens, all } = await setup(app);
    const message = sentForm([entry([bob, bob2]), entry([carol])], shared());
    const [bobT, carolT] = [tokens[0] ?? assert.fail(), tokens[1] ?? assert.fail()];
    const dave = await register(app, 'dave');
    const daveT = { accountId: dave.accountId, deliveryToken: token() };
    await putToken(app, dave, daveT.deliveryToken);
    for (const t of [[bobT], [bobT, carolT, daveT], [bobT, bobT, carolT], [bobT, daveT]]) {
      const res = await multi(app, message, t);
      assert.equal(errorCode(res), 'INVALID_REQUEST', JSON.stringify(t));
    }
    await assertNothingQueued(app, [...all, dave]);
    await app.close();
  });

  test('a device mismatch on one account lists every account’s and stores nothing', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens, all } = await setup(app);
    const res = await multi(
      app,
      sentForm(
        [entry([bob]), entry([{ ...carol, registrationId: (carol.registrationId + 1) & 0x3fff }])],
        shared(),
      ),
      tokens,
    );
    assert.equal(errorCode(res), 'DEVICE_MISMATCH');
    assert.deepEqual(res.json<{ error: { details: unknown } }>().error.details, {
      accounts: [
        { accountId: bob.accountId, missing: [bob2.deviceId], extra: [], stale: [] },
        { accountId: carol.accountId, missing: [], extra: [], stale: [1] },
      ],
    });
    await assertNothingQueued(app, all);
    await app.close();
  });

  test('hostile framing gets INVALID_REQUEST and stores nothing', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens, all } = await setup(app);
    const good = sentForm([entry([bob, bob2]), entry([carol])], shared());
    const ok = entry([carol]);
    const hostile: [string, Uint8Array][] = [
      ['unknown version', Buffer.concat([Buffer.of(0x11), good.subarray(1)])],
      ['truncated', good.subarray(0, 60)],
      ['no shared part', good.subarray(0, good.length - 72)],
      ['count larger than entries', Buffer.concat([Buffer.of(0x23, 9), good.subarray(2)])],
      ['zero count', Buffer.concat([Buffer.of(0x23, 0), good.subarray(2, 10)])],
      ['endless count varint', Buffer.of(0x23, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)],
      ['a PNI', sentForm([entry([bob, bob2]), { ...ok, kind: 1 }], shared())],
      [
        'device id 0 after has_more',
        sentForm(
          [
            entry([bob, bob2]),
            {
              ...ok,
              devices: [{ deviceId: 1, registrationId: 0x8000 }],
              keyMaterial: new Uint8Array(48),
            },
          ],
          shared(),
        ),
      ],
      [
        'device id past the bound',
        sentForm(
          [
            entry([bob, bob2]),
            { ...ok, devices: [{ deviceId: limits.MAX_DEVICE_ID + 1, registrationId: 1 }] },
          ],
          shared(),
        ),
      ],
      ['a device twice', sentForm([entry([bob, bob2]), entry([bob]), entry([carol])], shared())],
      [
        'excluded and not',
        sentForm([entry([bob, bob2]), entry([carol]), { ...ok, devices: [] }], shared()),
      ],
      ['only excluded', sentForm([{ ...ok, devices: [] }], shared())],
    ];
    for (const [why, bytes] of hostile) {
      const res = await multi(app, bytes, tokens);
      assert.equal(res.statusCode, 400, `${why}: ${res.body}`);
      assert.match(reason(res), /^INVALID_REQUEST: malformed multi-recipient message/, why);
    }
    await assertNothingQueued(app, all);
    await app.close();
  });

  test('oversized: past the message bound, or past the fan-out bound; nothing stored', async () => {
    const app = await newRelay();
    const { bob, bob2, carol, tokens, all } = await setup(app);
    const tooLong = new Uint8Array(limits.MAX_SEALED_MULTI_MESSAGE_BYTES + 1);
    tooLong[0] = 0x23;
    assert.equal(errorCode(await multi(app, tooLong, tokens)), 'INVALID_REQUEST');
    // Each device's part past what one envelope may hold.
    const big = sentForm(
      [entry([bob, bob2]), entry([carol])],
      randomBytes(limits.MAX_CIPHERTEXT_BYTES),
    );
    assert.match(reason(await multi(app, big, tokens)), /body too long/);
    // Under the message bound, but 600 devices' copies of a 60 KiB body are past the fan-out
    // bound (refused before any token is looked at).
    const many = Array.from({ length: 600 }, (): Entry => ({
      accountId: randomBytes(16).toString('hex'),
      devices: [{ deviceId: 1, registrationId: 1 }],
    }));
    assert.match(
      reason(await multi(app, sentForm(many, randomBytes(60 * 1024)), tokens)),
      /too large to fan out/,
    );
    // The same 600 devices with a 1 KiB body pass the framing (and stop at the tokens).
    assert.match(
      reason(await multi(app, sentForm(many, randomBytes(1024)), tokens)),
      /tokens do not name/,
    );
    await assertNothingQueued(app, all);
    await app.close();
  });

  test('the address bucket and every recipient’s token bucket apply', async () => {
    const app = await newRelay({
      rateLimits: {
        ip: { perSecond: 1_000, burst: 1_000 },
        account: { perSecond: 1_000, burst: 1_000 },
        sealedIp: { perSecond: 0.001, burst: 3 },
        sealedToken: { perSecond: 0.001, burst: 4 },
      },
    });
    const { bob, bob2, carol, tokens } = await setup(app);
    const send = (address: string) =>
      multi(app, sentForm([entry([bob, bob2]), entry([carol])], shared()), tokens, address);
    const fromOne: number[] = [];
    for (let i = 0; i < 5; i++) fromOne.push((await send('10.6.6.6')).statusCode);
    assert.deepEqual(fromOne, [200, 200, 200, 429, 429]);
    const spread: number[] = [];
    for (let i = 0; i < 3; i++) spread.push((await send(`10.9.0.${i}`)).statusCode);
    assert.deepEqual(spread, [200, 429, 429], 'each token admits 4 in all');
    assert.equal((await fetchPage(app, carol)).messages.length, 4);
    await app.close();
  });

  test('fuzz: arbitrary messages get a stable 4xx code or are stored with no sender', async () => {
    let storage: Storage | undefined;
    const app = await newRelay({ storage: (storage = createMemoryStorage()) });
    const { bob, bob2, carol, tokens } = await setup(app);
    const good = sentForm([entry([bob, bob2]), entry([carol])], shared());
    const mutated = fc
      .tuple(
        fc.nat({ max: good.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: good.length }),
      )
      .map(([at, value, cut]) => {
        const copy = Buffer.from(good);
        copy[at] = value;
        return copy.subarray(0, Math.max(cut, at + 1));
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.uint8Array({ maxLength: 300 })), async (bytes) => {
        const res = await multi(app, bytes, tokens);
        if (res.statusCode === 200) return true;
        return res.statusCode >= 400 && res.statusCode < 500 && typeof errorCode(res) === 'string';
      }),
      { numRuns: 300, seed: 18 },
    );
    for (const d of [bob, bob2, carol]) {
      const queued = await storage.reader.messages.list(d.accountId, d.deviceId, 0, 1_000);
      assert.ok(queued.every((m) => m.senderAccountId === '' && m.senderDeviceId === 0));
    }
    await app.close();
  });
});
