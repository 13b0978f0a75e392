import { testCases, testPrimitivesBackend } from '@parley/conformance/node-test';
import { randomSourceCases } from '@parley/primitives/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';

testPrimitivesBackend(createNoblePrimitives());
testCases('noble', randomSourceCases(createNoblePrimitives));
