// `npm run -s peer`: our JSON-lines peer (see README.md in this folder).
import { createNodePrimitives } from '@parley/primitives-node';
import { OurParty } from './our-party.js';
import { servePeer } from './peer-protocol.js';

const p = createNodePrimitives();
process.exitCode = await servePeer((init) => Promise.resolve(OurParty.create(p, init)));
