import { testPrimitivesBackend } from '@parley/conformance/node-test';
import { createNoblePrimitives } from '@parley/primitives-noble';

testPrimitivesBackend(createNoblePrimitives());
