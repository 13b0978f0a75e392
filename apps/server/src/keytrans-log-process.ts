/**
 * The key transparency log as a child process of the server (the default deployment): the log
 * service of `apps/keytrans-log`, on loopback with a free port, its data beside the relay's. It
 * exits when the server does (an IPC channel: a SIGKILLed server leaves no orphaned log).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How long the log may take to rebuild its trees from SQLite and listen. */
export const LOG_START_TIMEOUT_MS = 120_000;
/** How long a stopping log may take before it is killed. */
export const LOG_STOP_TIMEOUT_MS = 10_000;

export interface LogProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export interface LogProcessOptions {
  /** The log's data directory, or `memory`. */
  readonly data: string;
  /** One entry per `period` ms. */
  readonly period: number;
  /** Where the log's output goes, line by line. */
  readonly print?: (line: string) => void;
}

/** The log's entry point next to this file: built (dist) or from sources (through tsx). */
function entryPoint(): { args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(
    new URL(
      fromSource ? '../../keytrans-log/src/log-main.ts' : '../../keytrans-log/dist/log-main.js',
      import.meta.url,
    ),
  );
  return {
    args: fromSource ? ['--import', 'tsx', '--conditions=parley-source', file] : [file],
  };
}

export async function startLogProcess(options: LogProcessOptions): Promise<LogProcess> {
  const storage = options.data === 'memory' ? ['--storage', 'memory'] : ['--data', options.data];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...entryPoint().args,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--period',
      String(options.period),
      ...storage,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  // Neither the channel nor the pipes keep the server alive; stop() ends the log.
  child.channel?.unref();
  const print = options.print ?? ((line: string) => console.log(line));
  let seen = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the key transparency log did not start in time'));
    }, LOG_START_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      const text = d.toString('utf8');
      // Its own "listening on" line is not echoed: the server's is the one to look for.
      for (const line of text.split('\n'))
        if (line.trim() !== '' && !line.includes('listening on')) print(line);
      seen += text;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the key transparency log exited (${code ?? 'signal'}) before listening`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), LOG_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
