import { testCases, testPrimitivesBackend } from '@parley/conformance/node-test';
import { primitivesConformance, randomSourceCases } from '@parley/primitives/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { withNobleMlsCurves } from '@parley/primitives-noble/mls-curves';

testPrimitivesBackend(createNoblePrimitives());
testCases('noble', randomSourceCases(createNoblePrimitives));
// With the mls-curves entry point: the same suite, SHA-384 included (its known answers run only
// where the backend has the MLS curves).
testCases('noble+mls-curves', primitivesConformance(withNobleMlsCurves(createNoblePrimitives())));
