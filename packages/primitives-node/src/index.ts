export { createNodePrimitives } from './node-primitives.js';
export type { PrimitivesOptions } from '@parley/primitives-noble';
