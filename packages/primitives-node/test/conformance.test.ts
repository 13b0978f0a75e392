import { testCases, testPrimitivesBackend } from '@parley/conformance/node-test';
import { crossBackendCases } from '@parley/primitives/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';

testPrimitivesBackend(createNodePrimitives());
testCases('cross-backend', crossBackendCases(createNodePrimitives(), createNoblePrimitives()));
