/**
 * The key transparency code (`transparency.ts`, the gossip of heads, `@parley/keytrans`), loaded
 * as one part: see `code-slot.ts`.
 */
import { codeSlot } from './code-slot.js';
import type * as TransparencyModule from './transparency-module.js';

export type TransparencyCode = typeof TransparencyModule;

export const transparencyCode = codeSlot<TransparencyCode>(
  () => import('./transparency-module.js'),
);
