import {
  MemoryKeyTransStore,
  encodeAuditorTreeHead,
  encodeAuditorUpdate,
  encodeConfiguration,
  encodeContactMonitorRequest,
  encodeCredential,
  encodeCredentialUpdate,
  encodeDistinguishedHead,
  encodeDistinguishedRequest,
  encodeDistinguishedResponse,
  encodeMonitorResponse,
  encodeOwnerInitRequest,
  encodeOwnerInitResponse,
  encodeOwnerMonitorRequest,
  encodeSearchRequest,
  encodeSearchResponse,
  encodeUpdateRequest,
  encodeUpdateResponse,
  ownerMonitorRequest,
  verifySearch,
} from '../src/index.js';
import { MINUTE, createTestLog, label, must, value } from './fixture.js';
import { initOwner, ownerUpdate } from './owner-helpers.js';

/** One encoded sample of every -05 message, from a real log (mode 1) and a mode-3 configuration. */
export function wireSamples(): Record<string, Uint8Array> {
  const t = createTestLog({ rmw: 10 * MINUTE });
  const alice = label('alice');
  const bob = label('bob');
  t.log.enqueue(alice, undefined, [value('a0')]);
  for (let i = 0; i < 25; i++) t.tick();
  t.log.enqueue(alice, 0, [value('a1'), value('a2')]);
  t.tick();
  const store = new MemoryKeyTransStore();
  const search = t.log.search({ label: alice });
  store.commit(verifySearch(t.ctx, store, alice, undefined, search, t.now).changes);
  const owners = new MemoryKeyTransStore();
  initOwner(t, owners, bob);
  ownerUpdate(t, owners, bob, [value('b0')]);
  t.tick();
  const contact = {
    label: alice,
    entries: must(store.contact(alice)).entries,
    last: t.log.size - 1,
  };
  const mode3 = createTestLog({ mode: 3 });
  const fixed = t.log.search({ label: alice, version: 1, last: 5 });
  const m = t.config.mode;
  return {
    SearchRequest: encodeSearchRequest({ label: alice, version: 1, last: 5 }),
    SearchResponse: encodeSearchResponse(m, search),
    SearchResponseFixed: encodeSearchResponse(m, fixed),
    ContactMonitorRequest: encodeContactMonitorRequest(contact),
    ContactMonitorResponse: encodeMonitorResponse(m, t.log.contactMonitor(contact)),
    OwnerInitRequest: encodeOwnerInitRequest({ label: bob, start: 15 }),
    OwnerInitResponse: encodeOwnerInitResponse(m, t.log.ownerInit({ label: bob, start: 15 })),
    OwnerMonitorRequest: encodeOwnerMonitorRequest(ownerMonitorRequest(owners, bob)),
    OwnerMonitorResponse: encodeMonitorResponse(
      m,
      t.log.ownerMonitor(ownerMonitorRequest(owners, bob)),
    ),
    UpdateRequest: encodeUpdateRequest({
      label: bob,
      greatestVersion: 0,
      values: [value('b1')],
      last: 3,
    }),
    UpdateResponse: encodeUpdateResponse(
      m,
      t.log.update({ label: bob, values: [], last: 3 }, false),
    ),
    DistinguishedRequest: encodeDistinguishedRequest({ last: 4, stop: 2 }),
    DistinguishedResponse: encodeDistinguishedResponse(m, t.log.distinguished({ last: 10 })),
    AuditorUpdate: encodeAuditorUpdate(t.log.auditorUpdate(26)),
    AuditorTreeHead: encodeAuditorTreeHead({
      timestamp: t.now,
      treeSize: 7,
      signature: new Uint8Array(64),
    }),
    DistinguishedHead: encodeDistinguishedHead({
      treeSize: 7,
      root: new Uint8Array(32).fill(9),
      signature: new Uint8Array(64).fill(1),
    }),
    Configuration: encodeConfiguration(t.config),
    ConfigurationMode3: encodeConfiguration(mode3.config),
    CredentialStandard: encodeCredential(m, {
      label: alice,
      version: 2,
      opening: search.opening,
      value: search.value,
      binaryLadder: search.binaryLadder,
      position: 15,
      type: 'standard',
      distinguished: must(search.search.prefixProofs[0]),
    }),
    CredentialProvisional: encodeCredential(m, {
      label: alice,
      version: 2,
      opening: search.opening,
      value: search.value,
      binaryLadder: search.binaryLadder,
      position: 15,
      type: 'provisional',
      treeHead: t.log.treeHead(),
      search: search.search,
    }),
    CredentialUpdate: encodeCredentialUpdate({ position: 23, monitor: search.search }),
  };
}
