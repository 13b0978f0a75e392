/** A device's home directory: the encrypted store, its key file, and the saved relay address. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParleyClient, RelayHttp, type FetchLike } from '@parley/client';
import { nodeBinaryFetch, openSqliteBackend, type StoreSecret } from '@parley/client/node';
import { createNodePrimitives } from '@parley/primitives-node';
import { DEFAULT_SERVER } from './args.js';

export interface OpenHome {
  readonly client: ParleyClient;
  readonly server: string;
  saveServer(): void;
  close(): void;
}

const nodeFetch: FetchLike = (url, init) => fetch(url, init);

export function openHome(
  home: string,
  server: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): OpenHome {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const configPath = join(home, 'config.json');
  const saved = existsSync(configPath)
    ? (JSON.parse(readFileSync(configPath, 'utf8')) as { server?: string }).server
    : undefined;
  const base = server ?? saved ?? DEFAULT_SERVER;
  const passphrase = env['PARLEY_PASSPHRASE'];
  const secret: StoreSecret =
    passphrase !== undefined && passphrase !== ''
      ? { passphrase }
      : { keyFile: join(home, 'store.key') };
  const primitives = createNodePrimitives();
  const backend = openSqliteBackend({ path: join(home, 'store.db'), primitives, secret });
  const client = new ParleyClient({
    backend,
    primitives,
    relay: new RelayHttp(base, nodeFetch),
    // Attachment chunks go out without the copy the global fetch makes of each body.
    binaryFetch: nodeBinaryFetch(),
  });
  return {
    client,
    server: base,
    saveServer: () => {
      writeFileSync(configPath, `${JSON.stringify({ server: base })}\n`, { mode: 0o600 });
    },
    close: () => {
      backend.close();
    },
  };
}
