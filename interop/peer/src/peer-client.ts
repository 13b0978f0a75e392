/** Drives a JSON-lines peer process: one request at a time, responses matched by order and id. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export type PeerResponse = Record<string, unknown> & { readonly id: unknown; readonly ok: boolean };

/** `node --import tsx --conditions=parley-source <entry>`: how the repository runs its peers. */
export function peerCommand(entry: string): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', '--conditions=parley-source', entry]];
}

export class PeerClient {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  #nextId = 1;

  constructor(command: string, args: readonly string[], cwd: string) {
    this.#child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.resume();
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
  }

  /** Sends one request and returns its response (which must echo the id). */
  async request(op: string, fields: Record<string, unknown> = {}): Promise<PeerResponse> {
    const id = this.#nextId++;
    const line = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
    const response = JSON.parse(line) as PeerResponse;
    if (response.id !== id) throw new Error(`response id ${String(response.id)} for request ${id}`);
    return response;
  }

  /** Sends one raw line (which need not be valid JSON) and returns the response. */
  async rawRequest(line: string): Promise<PeerResponse> {
    const response = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${line}\n`);
    });
    return JSON.parse(response) as PeerResponse;
  }

  /** Like {@link request}, but throws unless `ok` is true. */
  async ok(op: string, fields: Record<string, unknown> = {}): Promise<PeerResponse> {
    const r = await this.request(op, fields);
    if (!r.ok) throw new Error(`${op} failed: ${String(r['error_code'])}`);
    return r;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    await this.request('quit');
    this.#child.stdin.end();
    await exited;
    this.#lines.close();
  }
}
