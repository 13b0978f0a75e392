import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, ProtoReader, ProtoWriter, toHex } from '../src/index.js';
import { protobufVectors } from './vectors/protobuf-encoding.js';
import { assertFields, writeFields } from './protobuf-sample.js';

for (const v of protobufVectors) {
  test(`protobuf encoding: ${v.name}`, () => {
    assert.equal(toHex(writeFields(new ProtoWriter(), v.fields).finish()), v.hex);
    assertFields(new ProtoReader(fromHex(v.hex)), v.fields);
  });
}
