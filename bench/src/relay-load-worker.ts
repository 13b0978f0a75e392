// A load generator worker process (forked by relay-load.ts): holds a share of the devices'
// connections to one system, sends its share of each rate step, and counts what its devices
// receive. Commands and replies travel over the IPC channel. Bounded: outstanding sends per
// worker, connect concurrency and the storm's wait are capped.
import { randomBytes } from 'node:crypto';
import { nowMicros, type Command, type Reply } from './relay-load-protocol.js';
import {
  mqttAdapter,
  natsAdapter,
  parleyAdapter,
  type Adapter,
  type Client,
  type DeviceInfo,
  type SystemName,
} from './relay-adapters.js';

/** Sends accepted by nobody yet, per worker, past which a step is overloaded (it skips sends). */
const MAX_OUTSTANDING = 50_000;
/** Ticks of the open-loop sender: each sends what the rate owes since the step began. */
const TICK_MS = 5;
/** At most this many connection handshakes at once (more only queue in the kernel). */
const CONNECT_CONCURRENCY = 256;
/** Outstanding sends while filling queues for the reconnect storm. */
const FILL_WINDOW = 2_000;
/** How long a storm may take before the worker reports what it has. */
const STORM_TIMEOUT_MS = 120_000;

async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        const item = items[i];
        if (item !== undefined) await fn(item, i);
      }
    }),
  );
}

function adapterFor(system: SystemName, port: number, runId: string, persistent: boolean): Adapter {
  if (system === 'parley') return parleyAdapter(port);
  if (system === 'mosquitto') return mqttAdapter(runId, persistent);
  return natsAdapter(runId);
}

function runWorker(): void {
  let setup: Extract<Command, { kind: 'setup' }> | undefined;
  let adapter: Adapter | undefined;
  /** For the storm's devices: with persistent sessions, so queues wait for offline devices. */
  let stormAdapter: Adapter | undefined;
  let payload = new Uint8Array(0);
  const clients: Client[] = [];
  let step = -1;
  let seen = new Set<string>();
  let duplicates = 0;
  let lastDeliveryMicros = 0;
  let latenciesMs: number[] = [];
  const reply = (r: Reply): void => {
    process.send?.(r);
  };

  /** Ids are `step.worker.counter.sentAtMicros`; only the current step's are counted. */
  const onReceived = (id: string): void => {
    const dot = id.indexOf('.');
    if (Number(id.slice(0, dot)) !== step) return;
    if (seen.has(id)) {
      duplicates++;
      return;
    }
    seen.add(id);
    const now = nowMicros();
    latenciesMs.push((now - Number(id.slice(id.lastIndexOf('.') + 1))) / 1000);
    lastDeliveryMicros = now;
  };

  const runStep = async (command: Extract<Command, { kind: 'step' }>): Promise<void> => {
    if (setup === undefined) throw new Error('step before setup');
    const { devices, worker } = setup;
    step = command.step;
    seen = new Set();
    duplicates = 0;
    latenciesMs = [];
    lastDeliveryMicros = 0;
    let sent = 0;
    let stored = 0;
    let failed = 0;
    let skipped = 0;
    let outstanding = 0;
    const done = (ok: boolean): void => {
      outstanding--;
      if (ok) stored++;
      else failed++;
    };
    const startMs = command.startMicros / 1000;
    while (Date.now() < startMs) await new Promise((r) => setTimeout(r, 1));
    const endMs = startMs + command.durationMs;
    for (;;) {
      const now = Date.now();
      const owed = Math.floor(((Math.min(now, endMs) - startMs) / 1000) * command.rate);
      const touched = new Set<Client>();
      while (sent + skipped < owed) {
        if (outstanding >= MAX_OUTSTANDING) {
          skipped++;
          continue;
        }
        const s = Math.floor(Math.random() * clients.length);
        const sender = clients[s];
        const self = setup.from + s;
        let r = Math.floor(Math.random() * devices.length);
        while (r === self && devices.length > 1) r = Math.floor(Math.random() * devices.length);
        const to = devices[r];
        if (sender === undefined || to === undefined) continue;
        outstanding++;
        sender.send(to, `${step}.${worker}.${sent}.${Math.round(nowMicros())}`, payload, done);
        touched.add(sender);
        sent++;
      }
      for (const c of touched) c.flush();
      if (now >= endMs) break;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    // Answers still on their way count when they come (bounded wait).
    const waitUntil = Date.now() + 10_000;
    while (outstanding > 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 5));
    reply({ kind: 'sent', sent, stored, failed: failed + outstanding, skipped });
  };

  const fill = async (recipients: readonly DeviceInfo[], perDevice: number): Promise<void> => {
    let stored = 0;
    let failed = 0;
    let outstanding = 0;
    let counter = 0;
    const total = recipients.length * perDevice;
    let next = 0;
    await new Promise<void>((resolve) => {
      const pumpSends = (): void => {
        const touched = new Set<Client>();
        while (outstanding < FILL_WINDOW && next < total) {
          const to = recipients[next % recipients.length];
          const sender = clients[next % clients.length];
          next++;
          if (to === undefined || sender === undefined) continue;
          outstanding++;
          sender.send(to, `fill.${setup?.worker ?? 0}.${counter++}.0`, payload, (ok) => {
            outstanding--;
            if (ok) stored++;
            else failed++;
            if (stored + failed === total) resolve();
            else if (outstanding < FILL_WINDOW / 2) setImmediate(pumpSends);
          });
          touched.add(sender);
        }
        for (const c of touched) c.flush();
      };
      if (total === 0) resolve();
      else pumpSends();
    });
    reply({ kind: 'filled', stored, failed });
  };

  const storm = async (recipients: readonly DeviceInfo[], expected: number): Promise<void> => {
    if (stormAdapter === undefined) throw new Error('storm before setup');
    let received = 0;
    let stormDuplicates = 0;
    let lastMicros = 0;
    const ids = new Set<string>();
    const stormClients: Client[] = [];
    const finished = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STORM_TIMEOUT_MS);
      const onStormReceived = (id: string): void => {
        if (ids.has(id)) {
          stormDuplicates++;
          return;
        }
        ids.add(id);
        received++;
        lastMicros = nowMicros();
        if (received >= expected) {
          clearTimeout(timer);
          resolve();
        }
      };
      const a = stormAdapter;
      pool(recipients, CONNECT_CONCURRENCY, async (d) => {
        if (a !== undefined) stormClients.push(await a.connect(d, onStormReceived));
      }).catch((error: unknown) => {
        console.error('worker: storm connect failed', error);
        clearTimeout(timer);
        resolve();
      });
      if (expected === 0) resolve();
    });
    await finished;
    await Promise.all(stormClients.map((c) => c.close()));
    reply({ kind: 'stormed', received, duplicates: stormDuplicates, lastMicros });
  };

  process.on('message', (command: Command) => {
    const fail = (what: string) => (error: unknown) => {
      console.error(`worker: ${what} failed`, error);
      process.exit(1);
    };
    switch (command.kind) {
      case 'setup': {
        setup = command;
        payload = randomBytes(command.messageBytes);
        adapter = adapterFor(command.system, command.port, command.runId, command.persistent);
        stormAdapter = adapterFor(command.system, command.port, command.runId, true);
        const a = adapter;
        // clients[i] is devices[from + i] (a step's sender never picks itself as recipient),
        // whatever order the connections complete in.
        pool(command.devices.slice(command.from, command.to), CONNECT_CONCURRENCY, async (d, i) => {
          clients[i] = await a.connect(d, onReceived);
        }).then(() => {
          reply({ kind: 'connected' });
        }, fail('connect'));
        return;
      }
      case 'step':
        runStep(command).catch(fail('step'));
        return;
      case 'count':
        reply({ kind: 'count', delivered: seen.size });
        return;
      case 'report':
        reply({
          kind: 'report',
          delivered: seen.size,
          duplicates,
          lastDeliveryMicros,
          latenciesMs,
        });
        return;
      case 'register-offline': {
        const a = stormAdapter;
        if (a === undefined) return;
        pool(command.recipients, CONNECT_CONCURRENCY, async (d) => {
          const c = await a.connect(d, () => undefined);
          await c.close();
        }).then(() => {
          reply({ kind: 'registered' });
        }, fail('register-offline'));
        return;
      }
      case 'fill':
        fill(command.recipients, command.perDevice).catch(fail('fill'));
        return;
      case 'storm':
        storm(command.recipients, command.expected).catch(fail('storm'));
        return;
      case 'trim':
        Promise.all(clients.splice(command.keep).map((c) => c.close())).then(() => {
          reply({ kind: 'trimmed' });
        }, fail('trim'));
        return;
      case 'exit':
        Promise.all(clients.map((c) => c.close()))
          .catch(() => undefined)
          .finally(() => {
            process.disconnect();
          });
        return;
    }
  });
}

runWorker();
