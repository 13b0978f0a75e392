import { testCases, testPrimitivesBackend } from '@parley/conformance/node-test';
import { crossBackendCases, randomSourceCases } from '@parley/primitives/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';

testPrimitivesBackend(createNodePrimitives());
testCases('cross-backend', crossBackendCases(createNodePrimitives(), createNoblePrimitives()));
testCases('node', randomSourceCases(createNodePrimitives));
