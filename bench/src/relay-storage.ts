// Storage cost per message, without sockets: `npm run bench:relay-storage -- [--storage sqlite|pg]
// [--devices N] [--messages M] [--batch B] [--sync FULL|NORMAL] [--records R]`. `--records R`
// stores R send records first (ages spread over the last 30 days, not measured; SQLite is then
// reopened, so their WAL is checkpointed before the run), as a relay holds a month of them:
// their table's size is what a send record's insert pays for. N devices (one per account)
// exchange M 200-byte messages between random pairs, B sends per group commit (the shape of one
// window of the relay: per send the duplicate check, the recipient's routes with queue depths,
// the insert and the send record), then one cumulative ack per recipient of that window (the
// relay's range deletes, `durable: false`, joining the next window as in the relay). Reports
// the CPU time of this process per message (what the relay process spends in its storage: for
// PostgreSQL the client side only, not the server's) and, for SQLite, the bytes written per
// message (`/proc/self/io`: the WAL). PostgreSQL runs on a throwaway database next to
// `PARLEY_TEST_DATABASE_URL` (default: the local server), dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgStorage, openSqliteStorage, type Storage } from '@parley/relay';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@parley/relay/testing';

const MAX_DEVICES = 100_000;
const MAX_MESSAGES = 1_000_000;
const MAX_BATCH = 4_096;
const MAX_RECORDS = 20_000_000;
/** Send records stored per transaction by `--records`. */
const RECORDS_PER_TRANSACTION = 5_000;
const RECORD_SPREAD_MS = 30 * 24 * 3_600_000;
const MESSAGE_BYTES = 200;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function int(name: string, fallback: number, max: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name}: 1..${String(max)}`);
  return v;
}

function writtenBytes(): number {
  const io = readFileSync('/proc/self/io', 'utf8');
  return Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const kind = arg('--storage', 'sqlite');
  const devices = int('--devices', 1_000, MAX_DEVICES);
  const messages = int('--messages', 20_000, MAX_MESSAGES);
  const batch = int('--batch', 32, MAX_BATCH);
  const sync = arg('--sync', 'FULL') === 'NORMAL' ? 'NORMAL' : 'FULL';
  const records = process.argv.includes('--records') ? int('--records', 1, MAX_RECORDS) : 0;
  const dir = mkdtempSync(join(tmpdir(), 'parley-storage-bench-'));
  let database: ThrowawayDatabase | undefined;
  let storage: Storage;
  const openSqlite = (): Storage =>
    openSqliteStorage({
      dataDir: dir,
      synchronous: sync,
      groupCommit: { maxBatch: MAX_BATCH, windowMs: 0 },
    });
  if (kind === 'pg') {
    database = await createThrowawayDatabase();
    storage = await openPgStorage({
      connectionString: database.url,
      groupCommit: { maxBatch: MAX_BATCH, windowMs: 0 },
    });
  } else {
    storage = openSqlite();
  }
  const ids = Array.from({ length: devices }, (_, i) => `acct-${String(i).padStart(8, '0')}`);
  await storage.transact(async (w) => {
    for (const id of ids) {
      await w.accounts.create({
        accountId: id,
        username: id,
        identityKey: randomBytes(33),
        createdAt: 0,
      });
      await w.devices.add({
        accountId: id,
        deviceId: 1,
        registrationId: 1,
        identityKey: randomBytes(33),
        secretHash: randomBytes(32),
        createdAt: 0,
      });
    }
  });
  const now = Date.now();
  for (let done = 0; done < records; done += RECORDS_PER_TRANSACTION) {
    await storage.transact(async (w) => {
      for (let i = done; i < Math.min(records, done + RECORDS_PER_TRANSACTION); i++) {
        await w.messages.recordSend({
          senderAccountId: ids[i % devices] as string,
          senderDeviceId: 1,
          clientMessageId: `old-${randomBytes(8).toString('hex')}`,
          serverTimestamp: now - Math.floor(Math.random() * RECORD_SPREAD_MS),
        });
      }
    });
  }
  if (records > 0 && kind !== 'pg') {
    // Closing checkpoints the preload's WAL, which would otherwise be copied during the run.
    await storage.close();
    storage = openSqlite();
  }
  const content = randomBytes(MESSAGE_BYTES);
  const pick = (): number => Math.floor(Math.random() * devices);
  const send = (from: number, to: number, n: number) =>
    storage.transact(async (w) => {
      const sender = ids[from] as string;
      const recipient = ids[to] as string;
      const clientMessageId = `${String(n)}-${randomBytes(8).toString('hex')}`;
      const record = { senderAccountId: sender, senderDeviceId: 1, clientMessageId };
      // As the relay does: the duplicate check folded into the record where the backend can.
      const claims = w.messages.claimSend !== undefined;
      if (!claims && (await w.messages.findSend(sender, 1, clientMessageId)) !== undefined)
        return 0;
      const routes = await w.devices.routes(recipient);
      if (routes.length !== 1) throw new Error('no route');
      const serverTimestamp = Date.now();
      if (claims && (await w.messages.claimSend?.({ ...record, serverTimestamp })) !== undefined)
        return 0;
      const m = await w.messages.enqueue({
        recipientAccountId: recipient,
        recipientDeviceId: 1,
        senderAccountId: sender,
        senderDeviceId: 1,
        clientMessageId,
        type: 1,
        content,
        serverTimestamp,
      });
      if (!claims) await w.messages.recordSend({ ...record, serverTimestamp });
      return m.seq;
    });
  const bytesBefore = writtenBytes();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // The acks of one window join the next window's sends, as in the relay.
  let acks = new Map<number, number>();
  const ack = (window: Map<number, number>) =>
    storage.transact(
      async (w) => {
        for (const [to, seq] of window) await w.messages.deleteUpTo(ids[to] as string, 1, seq);
      },
      { durable: false },
    );
  for (let done = 0; done < messages; done += batch) {
    const pairs = Array.from({ length: Math.min(batch, messages - done) }, () => {
      const from = pick();
      let to = pick();
      if (to === from) to = (to + 1) % devices;
      return [from, to] as const;
    });
    const [, ...seqs] = await Promise.all([
      ack(acks),
      ...pairs.map(([from, to], i) => send(from, to, done + i)),
    ]);
    acks = new Map<number, number>();
    pairs.forEach(([, to], i) => acks.set(to, Math.max(acks.get(to) ?? 0, seqs[i] ?? 0)));
  }
  await ack(acks);
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  const bytes = writtenBytes() - bytesBefore;
  await storage.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
  const [load1] = (readFileSync('/proc/loadavg', 'utf8').split(' ') as [string]).map(Number);
  console.log(
    `${kind}: ${String(devices)} devices, ${String(records)} records, ${String(messages)} messages, batch ${String(batch)}: ` +
      `${((cpu.user + cpu.system) / messages).toFixed(1)} µs CPU/msg (user ${(cpu.user / messages).toFixed(1)}, ` +
      `system ${(cpu.system / messages).toFixed(1)})` +
      (kind === 'pg' ? ', ' : `, ${String(Math.round(bytes / messages))} B written/msg, `) +
      `${String(Math.round(messages / seconds))} msg/s (load average ${String(load1)})`,
  );
}

await main();
