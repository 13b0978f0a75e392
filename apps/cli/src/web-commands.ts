/**
 * `parley web …`: commands about the web client itself, needing no account or home.
 *   parley web verify URL [--expect ROOT] [--dist DIR]
 *   parley web serve --relay URL [--port PORT] [--dist DIR]
 */
import { fileURLToPath } from 'node:url';
import type { Output } from './commands.js';
import { localManifest, verifyWeb } from './web-verify.js';

/** This checkout's web build (apps/web/dist), from both src/ (tsx) and dist/ (built). */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

export const WEB_USAGE = `usage: parley web COMMAND
  verify URL [--expect ROOT]   check the web client a relay serves: every file against its
                               manifest, the root against ROOT or the local build, the headers
  serve --relay URL [--port N] serve the local build on http://127.0.0.1:N (default 8088)
                               against the relay at URL (which must allow that origin)
options:
  --dist DIR     the local build (default: apps/web/dist of this checkout)`;

const HEX64 = /^[0-9a-f]{64}$/;
const DEFAULT_SERVE_PORT = 8088;
const MAX_PORT = 65_535;

interface WebArgs {
  readonly words: readonly string[];
  readonly expect: string | undefined;
  readonly relay: string | undefined;
  readonly port: number;
  readonly dist: string;
}

class WebUsageError extends Error {}

function parseWebArgs(argv: readonly string[]): WebArgs {
  const words: string[] = [];
  let expect: string | undefined;
  let relay: string | undefined;
  let port = DEFAULT_SERVE_PORT;
  let dist = DEFAULT_WEB_DIST;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new WebUsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--expect') {
      expect = value().toLowerCase();
      if (!HEX64.test(expect)) throw new WebUsageError('--expect takes a root: 64 hex digits');
    } else if (arg === '--relay') relay = value();
    else if (arg === '--dist') dist = value();
    else if (arg === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > MAX_PORT)
        throw new WebUsageError(`--port takes 0..${MAX_PORT}`);
    } else if (arg.startsWith('--')) throw new WebUsageError(`unknown option ${arg}`);
    else words.push(arg);
  }
  return { words, expect, relay, port, dist };
}

function httpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebUsageError(`${what} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebUsageError(`${what} must be http:// or https://`);
  return url;
}

async function verify(args: WebArgs, out: Output): Promise<number> {
  const [url, extra] = args.words.slice(1);
  if (url === undefined || extra !== undefined) throw new WebUsageError('verify takes one URL');
  const base = httpUrl(url, 'URL').origin;
  const expected = args.expect ?? localManifest(args.dist);
  if (expected === undefined) {
    out.error(
      `parley web verify: no local build in ${args.dist} to compare with: run npm run build:web, or pass --expect ROOT`,
    );
    return 1;
  }
  const report = await verifyWeb(base, expected, (line) => out.line(line));
  for (const p of report.problems) out.error(`parley web verify: ${p}`);
  if (report.problems.length > 0) return 1;
  out.line(
    `ok: ${base} serves root ${report.root ?? ''} (${report.files} files, headers as required), the same as ${args.expect === undefined ? 'the local build' : 'the expected root'}`,
  );
  return 0;
}

/** Runs `parley web …` (argv after `web`); returns the exit code. */
export async function runWebCommand(argv: readonly string[], out: Output): Promise<number> {
  try {
    const args = parseWebArgs(argv);
    switch (args.words[0]) {
      case 'verify':
        return await verify(args, out);
      case 'serve': {
        const { serveWeb } = await import('./web-serve.js');
        if (args.relay === undefined) throw new WebUsageError('serve needs --relay URL');
        return await serveWeb(
          { dist: args.dist, relay: httpUrl(args.relay, '--relay').origin, port: args.port },
          out,
        );
      }
      default:
        out.line(WEB_USAGE);
        return args.words.length === 0 ? 2 : 0;
    }
  } catch (e) {
    if (e instanceof WebUsageError) {
      out.error(`parley web: ${e.message}\n${WEB_USAGE}`);
      return 2;
    }
    if (e instanceof TypeError || (e instanceof Error && e.name === 'TimeoutError')) {
      out.error(`parley web: could not reach the server (${e.message})`);
      return 1;
    }
    throw e;
  }
}
