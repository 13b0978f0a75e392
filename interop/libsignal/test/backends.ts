/** Both Primitives backends; every interop check runs once per backend. */
import type { Primitives } from '@parley/primitives';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';

export const backends: readonly Primitives[] = [createNoblePrimitives(), createNodePrimitives()];
