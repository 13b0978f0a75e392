// The libsignal-backed JSON-lines peer: the same requests and responses as `npm run -s peer`.
// Run: node --import tsx --conditions=parley-source interop/libsignal/test/libsignal-peer-main.ts
import { servePeer } from '@parley/interop-peer/peer-protocol';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

process.exitCode = await servePeer((init) => Promise.resolve(new LibsignalPeerParty(init)));
