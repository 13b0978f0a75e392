/** The MLS group code (`groups.ts` and everything under it, with `@parley/mls`): see `code-slot.ts`. */
import { codeSlot } from './code-slot.js';
import type * as GroupsModule from './groups.js';

export type GroupCode = typeof GroupsModule;

export const groupCode = codeSlot<GroupCode>(() => import('./groups.js'));
