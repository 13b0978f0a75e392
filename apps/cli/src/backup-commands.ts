/**
 * `parley backup create FILE` and `parley backup restore FILE`. The recovery key is printed
 * once by `create`; `restore` reads it from `--recovery-key`, `PARLEY_RECOVERY_KEY` or the
 * first line of stdin, and restores only into a home without an account. A wrong key or a
 * damaged file is reported and changes nothing.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ClientError, clientLimits } from '@parley/client';
import { UsageError, type Args } from './args.js';
import type { OpenHome } from './home.js';

async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

export async function runBackupCommand(
  args: Args,
  home: OpenHome,
  emit: (human: string, json: object) => void,
): Promise<number> {
  const [, sub, file] = args.words;
  if ((sub !== 'create' && sub !== 'restore') || file === undefined || file === '')
    throw new UsageError('usage: parley backup create|restore FILE');
  const { client } = home;
  if (sub === 'create') {
    const { archive, recoveryKey } = client.createBackup();
    // Never over an existing file, readable by its owner only.
    writeFileSync(file, archive, { mode: 0o600, flag: 'wx' });
    emit(
      `wrote ${file} (${archive.length} bytes)\nYour recovery key, shown only this once (write it down; without it the backup cannot be read):\n  ${recoveryKey}`,
      { file, bytes: archive.length, recoveryKey },
    );
    return 0;
  }
  if (client.account !== undefined)
    throw new ClientError('MISUSE', 'this home already has an account; restore into a new one');
  if (statSync(file).size > clientLimits.MAX_BACKUP_BYTES)
    throw new ClientError('BACKUP_INVALID', 'the file is larger than any backup');
  const archive = new Uint8Array(readFileSync(file));
  const key = args.recoveryKey ?? (await firstLine());
  const a = await client.restoreBackup(archive, key);
  home.saveServer();
  emit(`restored ${a.username} (account ${a.accountId}, device ${a.deviceId})`, {
    username: a.username,
    accountId: a.accountId,
    deviceId: a.deviceId,
  });
  return 0;
}
