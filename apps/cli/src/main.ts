#!/usr/bin/env node
/** `parley`: parses arguments, opens the home, runs one command, maps errors to exit codes. */
import { ClientError } from '@parley/client';
import { parseArgs, USAGE, UsageError } from './args.js';
import { runCommand, type Output } from './commands.js';
import { openHome } from './home.js';
import { runWebCommand } from './web-commands.js';

/**
 * Exit codes: 0 ok, 1 a failure the user can fix (message says how), 2 usage, 3 key changed,
 * 4 key transparency refused a key or could not verify it (the message names the KT_* code).
 */
const KT_FAILURES: readonly string[] = [
  'KT_MISMATCH',
  'KT_PROOF_INVALID',
  'KT_FORK',
  'KT_UNAVAILABLE',
  'KT_NOT_IN_LOG',
];

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  try {
    if (argv[0] === 'web') return await runWebCommand(argv.slice(1), out);
    const args = parseArgs(argv, env);
    if (args.words.length === 0 || args.words[0] === 'help') {
      out.line(USAGE);
      return args.words.length === 0 ? 2 : 0;
    }
    const home = openHome(args.home, args.server, env);
    try {
      return await runCommand(args, home, out);
    } finally {
      home.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      out.error(`parley: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof ClientError) {
      const hint =
        e.code === 'STORE_LOCKED' ? ' (check PARLEY_PASSPHRASE or the key file in --home)' : '';
      const kt = KT_FAILURES.includes(e.code);
      out.error(`parley: ${kt ? `${e.code}: ` : ''}${e.message}${hint}`);
      return e.code === 'KEY_CHANGED' ? 3 : kt ? 4 : 1;
    }
    out.error(`parley: internal error: ${e instanceof Error ? e.name : 'unknown'}`);
    return 1;
  }
}

const out: Output = {
  line: (t) => process.stdout.write(`${t}\n`),
  error: (t) => process.stderr.write(`${t}\n`),
};
process.exitCode = await main(process.argv.slice(2), process.env, out);
