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
  body: unknown;
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the proxy on a free loopback port in front of `target` (a relay's base URL). */
export async function startHostileRelay(target: string): Promise<HostileRelay> {
  let intercepts: ((x: Exchange) => Answer | undefined)[] = [];
  let rewrites: ((x: Exchange, answer: Answer) => Answer | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://proxy');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
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
          ...(text === '' ? {} : { body: text }),
        });
        const raw = await upstream.text();
        let parsed: unknown;
        try {
          parsed = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          parsed = raw;
        }
        answer = { status: upstream.status, body: parsed };
        for (const hook of rewrites) answer = hook(x, answer) ?? answer;
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
