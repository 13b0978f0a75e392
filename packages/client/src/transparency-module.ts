/** What `transparency-code.ts` loads: the verifier and the gossip of heads in messages. */
export { Transparency } from './transparency.js';
export { takeGossip, withGossip } from './transparency-gossip.js';
