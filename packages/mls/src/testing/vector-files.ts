import type { Primitives } from '@parley/primitives';
import type { MlsVectorCase } from './vector-case.js';
import { cryptoBasicsCases, deserializationCases, treeMathCases } from './vectors-basics.js';
import { messageProtectionCases } from './vectors-message-protection.js';
import { messagesCases, welcomeCases } from './vectors-messages.js';
import {
  keyScheduleCases,
  pskSecretCases,
  secretTreeCases,
  transcriptHashesCases,
} from './vectors-secrets.js';
import { treeOperationsCases, treeValidationCases } from './vectors-tree.js';
import { treekemCases } from './vectors-treekem.js';
import {
  passiveClientHandlingCommitCases,
  passiveClientInteropCases,
  passiveClientRandomCases,
  passiveClientWelcomeCases,
} from './vectors-passive.js';

/** A vector file of `test-vectors/mls/` with its runner. */
export interface MlsVectorFile {
  /** File name inside the `mls/` vectors folder, e.g. `tree-math.json`. */
  readonly file: string;
  /** The name without `.json`, used for the `mls:<stem>` conformance suite. */
  readonly stem: string;
  readonly cases: (data: unknown, p: Primitives) => MlsVectorCase[];
}

const file = (name: string, cases: MlsVectorFile['cases']): MlsVectorFile => ({
  file: name,
  stem: name.replace(/\.json$/, ''),
  cases,
});

/**
 * The vector files this package runs, in the order the issue lists them. A file not listed here
 * is not started (README.md says which).
 */
export const MLS_VECTOR_FILES: readonly MlsVectorFile[] = [
  file('tree-math.json', treeMathCases),
  file('crypto-basics.json', cryptoBasicsCases),
  file('secret-tree.json', secretTreeCases),
  file('key-schedule.json', keyScheduleCases),
  file('psk_secret.json', pskSecretCases),
  file('transcript-hashes.json', transcriptHashesCases),
  file('message-protection.json', messageProtectionCases),
  file('deserialization.json', deserializationCases),
  file('tree-validation.json', treeValidationCases),
  file('messages.json', messagesCases),
  file('welcome.json', welcomeCases),
  file('tree-operations.json', treeOperationsCases),
  file('treekem.json', treekemCases),
  file('passive-client-welcome.json', passiveClientWelcomeCases),
  file('passive-client-handling-commit.json', passiveClientHandlingCommitCases),
  file('passive-client-random.json', passiveClientRandomCases),
  ...[
    'application',
    'branch',
    'commit',
    'external_join',
    'external_proposals',
    'reinit',
    'welcome_join',
  ].map((name) => file(`interop-passive/${name}.json`, passiveClientInteropCases)),
];

/** The runner for `name` (e.g. `secret-tree.json`); throws for a file with none. */
export function mlsVectorFile(name: string): MlsVectorFile {
  const found = MLS_VECTOR_FILES.find((f) => f.file === name);
  if (found === undefined) throw new Error(`no runner for MLS vector file ${name}`);
  return found;
}
