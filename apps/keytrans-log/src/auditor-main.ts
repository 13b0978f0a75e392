#!/usr/bin/env node
// The third-party auditor as its own process: it prints its public key (give it to the log's
// --auditor-key), then follows the log, verifying every entry before it signs a head.
import { toHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import { openSqliteAuditorStore, runAuditor } from './auditor-service.js';
import { UsageError, intFlag, parseFlags } from './flags.js';
import { loadOrCreateKeys } from './keys.js';

const USAGE = `usage: parley-keytrans-auditor --log URL [--data .parley/keytrans-auditor] [--interval 1000]`;

function main(): number {
  let flags: Map<string, string>;
  try {
    flags = parseFlags(process.argv.slice(2), ['log', 'data', 'interval']);
    if (!flags.has('help') && !flags.has('log')) throw new UsageError('--log is required');
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`parley-keytrans-auditor: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (flags.has('help')) {
    console.log(USAGE);
    return 0;
  }
  const primitives = createNodePrimitives();
  const dataDir = flags.get('data') ?? '.parley/keytrans-auditor';
  const { signingKey } = loadOrCreateKeys(dataDir, 'auditor-key.json', ['signingKey'], primitives);
  console.log(
    `parley-keytrans-auditor: public key ${toHex(primitives.ed25519.publicKey(signingKey))}`,
  );
  const logUrl = flags.get('log') as string;
  const auditor = runAuditor({
    logUrl,
    store: openSqliteAuditorStore(dataDir),
    primitives,
    signingKey,
    interval: intFlag(flags, 'interval', 1000),
    report: (line) => console.error(line),
  });
  console.log(`parley-keytrans-auditor: auditing ${logUrl}`);
  void auditor.failed.then(() => {
    process.exitCode = 3;
    void auditor.stop();
  });
  const stop = (signal: string): void => {
    console.log(`parley-keytrans-auditor: ${signal}, stopping`);
    void auditor.stop();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return 0;
}

process.exitCode = main();
