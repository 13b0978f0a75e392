/**
 * A hostile relay for tests: an HTTP proxy in front of a real relay that scenario hooks use to
 * rewrite, withhold, replay and inject traffic, speaking the real wire format. WebSocket
 * upgrades are refused, so clients behind it poll over HTTP (every answer passes the hooks).
 *
 * A hook sees each exchange after the real relay answered (`request` then `answer`); it may
 * replace the answer, or answer itself before the relay is asked (`intercept`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly query: string;
  /** The account id of the calling device (from its Basic credentials), if any. */
  readonly caller: string | undefined;
  readonly body: unknown;
}

export interface Answer {
  status: number;
  /** Parsed JSON, text, or the bytes of a binary answer (an attachment blob) as a Uint8Array. */
  body: unknown;
  /** The content type of a binary body (JSON answers need none). */
  contentType?: string;
}

export interface HostileRelay {
  readonly base: string;
  /** Answers instead of the relay when the hook returns an answer. */
  intercept(hook: (x: Exchange) => Answer | undefined): void;
  /** Rewrites the relay's answer when the hook returns a new one. */
  rewrite(hook: (x: Exchange, answer: Answer) => Answer | undefined): void;
  /** Removes every hook: an honest proxy again. */
  reset(): void;
  close(): Promise<void>;
}

function callerOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ') !== true) return undefined;
  const user = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
  return user.split('.')[0];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body as hooks see it: JSON parsed, other text as text, bytes (blobs) as they are. */
function parseBody(bytes: Buffer, contentType: string | null | undefined): unknown {
  if (bytes.length === 0) return undefined;
  if (contentType?.includes('octet-stream') === true) return new Uint8Array(bytes);
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts the proxy on a free loopback port in front of `target` (a relay's base URL). */
export async function startHostileRelay(target: string): Promise<HostileRelay> {
  let intercepts: ((x: Exchange) => Answer | undefined)[] = [];
  let rewrites: ((x: Exchange, answer: Answer) => Answer | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const bytes = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const body = parseBody(bytes, req.headers['content-type']);
      const x: Exchange = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search,
        caller: callerOf(req),
        body,
      };
      let answer: Answer | undefined;
      for (const hook of intercepts) answer ??= hook(x);
      if (answer === undefined) {
        const headers: Record<string, string> = {};
        for (const name of ['authorization', 'content-type']) {
          const v = req.headers[name];
          if (typeof v === 'string') headers[name] = v;
        }
        const upstream = await fetch(`${target}${url.pathname}${url.search}`, {
          method: x.method,
          headers,
          ...(bytes.length === 0 ? {} : { body: bytes }),
        });
        const contentType = upstream.headers.get('content-type') ?? undefined;
        const raw = Buffer.from(await upstream.arrayBuffer());
        answer = {
          status: upstream.status,
          body: parseBody(raw, contentType),
          ...(contentType?.includes('octet-stream') === true && { contentType }),
        };
        for (const hook of rewrites) answer = hook(x, answer) ?? answer;
      }
      if (answer.body instanceof Uint8Array) {
        res.writeHead(answer.status, {
          'content-type': answer.contentType ?? 'application/octet-stream',
        });
        res.end(answer.body);
        return;
      }
      const out =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      res.writeHead(answer.status, out === '' ? {} : { 'content-type': 'application/json' });
      res.end(out);
    })().catch(() => {
      res.writeHead(502);
      res.end();
    });
  });
  server.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 501 Not Implemented\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    intercept: (hook) => {
      intercepts.push(hook);
    },
    rewrite: (hook) => {
      rewrites.push(hook);
    },
    reset: () => {
      intercepts = [];
      rewrites = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
