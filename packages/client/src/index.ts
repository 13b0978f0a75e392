/**
 * The package's main entry: every export of `lazy.ts`, with the parts that the lazy entry loads
 * late provided at once (`code-slot.ts`), so every method, `groups()` included, works from the
 * first line.
 */
import { groupCode } from './group-code.js';
import * as groups from './groups.js';
import { transparencyCode } from './transparency-code.js';
import * as transparency from './transparency-module.js';

groupCode.provide(groups);
transparencyCode.provide(transparency);

export * from './lazy.js';
