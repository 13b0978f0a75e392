/**
 * Key transparency end to end with every real process: the log (third-party-auditing mode), the
 * auditor following it, the relay pointed at the log (`--kt URL`), and `parley` processes. Keys
 * verify with the auditor's head in every answer; messages carry the senders' heads (gossip),
 * which agree, so `kt status` reports no fork.
 */
import { doesNotMatch, match } from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, ok0, startKeyTransProcess, startRelay, type Relay, type Run } from './processes.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'parley-kt-audit-'));
let stops: (() => Promise<void>)[] = [];
let relay: Relay;
let root: string;

before(async () => {
  const auditorData = tmp();
  // The auditor prints its public key at start; the log is configured with it.
  const first = await startKeyTransProcess(
    'auditor-main.ts',
    ['--log', 'http://127.0.0.1:1', '--data', auditorData],
    /public key ([0-9a-f]{64})/,
  );
  await first.stop();
  const key = first.match[1] as string;
  const log = await startKeyTransProcess(
    'log-main.ts',
    ['--port', '0', '--storage', 'memory', '--period', '100', '--auditor-key', key],
    /listening on (http:\/\/127\.0\.0\.1:\d+) \(third-party auditing/,
  );
  const logBase = log.match[1] as string;
  const auditor = await startKeyTransProcess(
    'auditor-main.ts',
    ['--log', logBase, '--data', auditorData, '--interval', '100'],
    /auditing/,
  );
  relay = await startRelay(undefined, ['--kt', logBase]);
  stops = [() => relay.stop(), () => auditor.stop(), () => log.stop()];
  root = tmp();
});
after(async () => {
  for (const stop of stops) await stop();
});

const as = (home: string, ...args: string[]): Promise<Run> =>
  cli(['--server', relay.base, '--home', join(root, home), ...args]);

/** Retries while the log has not yet taken the new account (one entry per 100 ms here). */
async function eventually(run: () => Promise<Run>): Promise<string> {
  let last: Run | undefined;
  for (let i = 0; i < 20; i++) {
    last = await run();
    if (last.code === 0) return last.stdout;
    await new Promise((r) => setTimeout(r, 300));
  }
  return ok0(Promise.resolve(last as Run));
}

test('log, auditor, relay and CLI processes: audited heads, verified keys, gossip without a fork', async () => {
  await ok0(as('alice', 'register', 'audalice'));
  await ok0(as('bob', 'register', 'audbob'));
  const verify = await eventually(() => as('alice', 'verify', 'audbob'));
  match(verify, /key transparency: verified/);
  await ok0(as('alice', 'send', 'audbob', 'audited hello'));
  match(await ok0(as('bob', 'receive', '--wait', '10')), /audited hello/);
  await eventually(() => as('bob', 'send', 'audalice', 'audited reply'));
  match(await ok0(as('alice', 'receive', '--wait', '10')), /audited reply/);
  for (const who of ['alice', 'bob']) {
    const status = await ok0(as(who, 'kt', 'status'));
    match(status, /key transparency: on \(third-party auditing\), log size \d+/);
    doesNotMatch(status, /LOG FORKED/);
  }
  const monitor = await ok0(as('bob', 'kt', 'monitor'));
  match(monitor, /own labels: verified against the log/);
});
