#!/usr/bin/env node
// The key transparency log as its own process: flags, storage, keys, then the service; one
// entry per period; SIGINT/SIGTERM stop the timer, finish requests and close storage.
import { KT_128_SHA256_ED25519, createSuite, type Configuration } from '@parley/keytrans';
import { fromHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import { UsageError, intFlag, parseFlags } from './flags.js';
import { loadOrCreateKeys } from './keys.js';
import { createLogService } from './log-service.js';
import { openSqliteLogStorage } from './sqlite-storage.js';
import { MemoryLogStorage } from './storage.js';

const USAGE = `usage: parley-keytrans-log [--host 127.0.0.1] [--port 8090] [--data .parley/keytrans-log]
  [--storage sqlite|memory] [--period 60000] [--rmw 86400000] [--max-ahead 300000]
  [--max-behind 86400000] [--auditor-key HEX [--max-auditor-lag 600000] [--auditor-start 0]]
A new log takes its configuration from these flags; an existing one keeps the stored one.`;

const HOUR = 3_600_000;

async function main(): Promise<number> {
  let flags: Map<string, string>;
  try {
    flags = parseFlags(process.argv.slice(2), [
      'host',
      'port',
      'data',
      'storage',
      'period',
      'rmw',
      'max-ahead',
      'max-behind',
      'auditor-key',
      'max-auditor-lag',
      'auditor-start',
    ]);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`parley-keytrans-log: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (flags.has('help')) {
    console.log(USAGE);
    return 0;
  }
  const primitives = createNodePrimitives();
  const suite = createSuite(primitives);
  const dataDir = flags.get('data') ?? '.parley/keytrans-log';
  const memory = flags.get('storage') === 'memory';
  const keys = memory
    ? { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) }
    : loadOrCreateKeys(dataDir, 'log-keys.json', ['signingKey', 'vrfKey'], primitives);
  const period = intFlag(flags, 'period', 60_000);
  const rmw = intFlag(flags, 'rmw', 24 * HOUR);
  const auditorKey = flags.get('auditor-key');
  const base = {
    ciphersuite: KT_128_SHA256_ED25519,
    signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
    vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
    maxAhead: intFlag(flags, 'max-ahead', 5 * 60_000),
    maxBehind: intFlag(flags, 'max-behind', 24 * HOUR),
    reasonableMonitoringWindow: rmw,
  };
  const config: Configuration =
    auditorKey === undefined
      ? { ...base, mode: 1, leafPublicKey: new Uint8Array() }
      : {
          ...base,
          mode: 3,
          auditorPublicKey: fromHex(auditorKey),
          maxAuditorLag: intFlag(flags, 'max-auditor-lag', Math.max(10 * 60_000, 5 * period)),
          auditorStartPos: intFlag(flags, 'auditor-start', 0),
        };
  const storage = memory ? new MemoryLogStorage() : openSqliteLogStorage(dataDir);
  const service = createLogService({
    storage,
    primitives,
    keys,
    config,
    period,
    recentWindow: 7 * rmw,
  });
  service.start();
  const host = flags.get('host') ?? '127.0.0.1';
  await service.app.listen({ host, port: intFlag(flags, 'port', 8090) });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const mode = service.config.mode === 3 ? 'third-party auditing' : 'contact monitoring';
  console.log(
    `parley-keytrans-log: listening on http://${host}:${port} (${mode}; ${service.log.size} entries; one per ${period} ms)`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`parley-keytrans-log: ${signal}, shutting down`);
    // The IPC channel would keep the process alive.
    if (process.connected) process.disconnect();
    service.close().then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        console.error(
          'parley-keytrans-log: shutdown failed',
          error instanceof Error ? error.message : '',
        );
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Started by a parent with an IPC channel (apps/server): stop when the parent goes, even if
  // it was killed.
  if (process.send !== undefined) process.once('disconnect', () => stop('parent gone'));
  return 0;
}

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error('parley-keytrans-log:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
