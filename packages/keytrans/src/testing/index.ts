/**
 * Conformance cases for `npm run conformance` (`@parley/keytrans/testing`). Isomorphic: the
 * caller loads the vector files and hands over the parsed JSON.
 */
export { KnownAnswerMismatch, type KeyTransCase } from './case.js';
export { vrfCases } from './vrf-cases.js';
export { generateKnownAnswers, knownAnswerCases, type KnownAnswers } from './known-answers.js';
