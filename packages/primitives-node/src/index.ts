export { createNodePrimitives } from './node-primitives.js';
export { createNodeMlsCurves } from './mls-curves.js';
export type { PrimitivesOptions } from '@parley/primitives-noble';
export {
  keyImporter,
  keyImporterFor,
  keyImportRouteWorks,
  publicExportRoute,
  publicExportRouteWorks,
  type KeyImporter,
  type KeyImportRoute,
  type PublicExportRoute,
} from './key-objects.js';
export { hasNativeMlKem1024 } from './native-ml-kem.js';
export { hasNativeMlKem768 } from './native-ml-kem-768.js';
