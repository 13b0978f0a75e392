import assert from 'node:assert/strict';
import {
  decodeMonitorResponse,
  decodeOwnerInitResponse,
  decodeUpdateResponse,
  encodeMonitorResponse,
  encodeOwnerInitResponse,
  encodeUpdateResponse,
  ownerMonitorRequest,
  verifyOwnerInit,
  verifyOwnerMonitor,
  verifyUpdate,
  type MemoryKeyTransStore,
  type UpdateRequest,
} from '../src/index.js';
import { must, type TestLog } from './fixture.js';

/** Takes ownership of `name` at the rightmost distinguished entry. */
export function initOwner(t: TestLog, store: MemoryKeyTransStore, name: Uint8Array): number {
  const start = Math.max(...t.log.distinguishedEntries());
  const last = store.head()?.treeHead.treeSize;
  const response = t.log.ownerInit({ label: name, start, ...(last === undefined ? {} : { last }) });
  const wire = decodeOwnerInitResponse(
    t.config.mode,
    encodeOwnerInitResponse(t.config.mode, response),
  );
  store.commit(verifyOwnerInit(t.ctx, store, name, start, wire, t.now).changes);
  return start;
}

/** The owner creates `values` through Update and verifies the response. */
export function ownerUpdate(
  t: TestLog,
  store: MemoryKeyTransStore,
  name: Uint8Array,
  values: Uint8Array[],
): void {
  const owner = must(store.owned(name));
  const greatest = owner.inserted[owner.inserted.length - 1]?.version;
  const request: UpdateRequest = {
    label: name,
    values,
    ...(greatest === undefined ? {} : { greatestVersion: greatest }),
  };
  t.log.enqueue(name, greatest, values);
  t.tick();
  const last = must(store.head()).treeHead.treeSize;
  const response = t.log.update({ ...request, last }, true);
  const wire = decodeUpdateResponse(t.config.mode, encodeUpdateResponse(t.config.mode, response));
  const { output, changes } = verifyUpdate(t.ctx, store, request, wire, t.now);
  assert.equal(output.foreign, false);
  store.commit(changes);
}

/** Owner monitoring until the log has nothing more to show. */
export function monitorOwner(t: TestLog, store: MemoryKeyTransStore, name: Uint8Array): void {
  const response = t.log.ownerMonitor(ownerMonitorRequest(store, name));
  const wire = decodeMonitorResponse(t.config.mode, encodeMonitorResponse(t.config.mode, response));
  store.commit(verifyOwnerMonitor(t.ctx, store, name, wire, t.now).changes);
}
