// The relay's view of its key transparency log: the types live in @parley/api, where
// apps/keytrans-log implements them without depending on the relay.
export type { KeyTransBridge, KtAccountChange, KtAnswer } from '@parley/api';
