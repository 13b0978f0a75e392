import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import {
  ERROR_CODES,
  ROUTES,
  COMMON_ERRORS,
  isErrorCode,
  limits,
  openApiDocument,
  schemas,
  statusOf,
} from '@parley/api';

test('every error code has an HTTP error status and a description', () => {
  for (const [code, { status, description }] of Object.entries(ERROR_CODES)) {
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(description.length > 10, code);
    assert.ok(isErrorCode(code));
  }
  assert.equal(statusOf('DEVICE_MISMATCH'), 409);
  assert.equal(isErrorCode('NOPE'), false);
  assert.equal(isErrorCode('toString'), false);
});

test('every route is versioned under /v1 (except health and metrics) and names only registry codes', () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    if (name !== 'health' && name !== 'metrics') assert.match(route.url, /^\/v1\//, name);
    for (const code of [...route.errors, ...COMMON_ERRORS])
      assert.ok(isErrorCode(code), `${name}: ${code}`);
  }
});

test('the OpenAPI document lists every route with its error responses', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  assert.equal(doc.openapi, '3.1.0');
  let operations = 0;
  for (const methods of Object.values(doc.paths)) operations += Object.keys(methods).length;
  assert.equal(operations, Object.keys(ROUTES).length);
  assert.ok(doc.paths['/v1/messages']?.['post']?.responses['409'] !== undefined);
  assert.ok(doc.paths['/v1/keys/{accountId}']?.['get'] !== undefined);
});

test('schemas enforce the limits: usernames, ciphertext size, destinations', () => {
  assert.equal(Value.Check(schemas.Username, 'ab'), false);
  assert.equal(Value.Check(schemas.Username, 'abc'), true);
  assert.equal(Value.Check(schemas.Username, 'a'.repeat(limits.USERNAME_MAX_LENGTH + 1)), false);
  const content = 'A'.repeat(schemas.base64Length(limits.MAX_CIPHERTEXT_BYTES) + 4);
  const dest = { accountId: 'a', deviceId: 1, registrationId: 1, type: 1, content };
  assert.equal(Value.Check(schemas.Destination, dest), false);
  assert.equal(Value.Check(schemas.Destination, { ...dest, content: 'AAAA' }), true);
  const send = {
    clientMessageId: 'x',
    destinations: Array.from({ length: limits.MAX_DESTINATIONS_PER_SEND + 1 }, () => ({
      ...dest,
      content: 'AAAA',
    })),
  };
  assert.equal(Value.Check(schemas.SendRequest, send), false);
  assert.equal(
    Value.Check(schemas.SendRequest, { ...send, destinations: send.destinations.slice(1) }),
    true,
  );
});
