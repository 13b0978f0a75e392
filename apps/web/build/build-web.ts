/**
 * The web client's build: Vite, then Subresource Integrity in the page (`page-integrity.ts`), then
 * the integrity manifest over every file. The
 * output depends only on the sources and the pinned toolchain (Vite, its Rolldown and the Solid
 * plugin are exact versions in package.json and the lockfile): no timestamps, content-hashed
 * chunk names, no absolute paths. `reproduce.ts` checks that by building twice from copies.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createManifest,
  encodeManifest,
  MANIFEST_PATH,
  type WebManifest,
} from '@parley/web-integrity';
import { addPageIntegrity } from './page-integrity.js';

/** apps/web of this checkout. */
export const WEB_DIR = fileURLToPath(new URL('../', import.meta.url));

export interface WebBuild {
  readonly outDir: string;
  readonly manifest: WebManifest;
}

/** Every file of a build directory, by URL path, leaving out dotfiles and `.well-known/`. */
export function* buildFiles(dir: string, base = dir): Generator<{ path: string; file: string }> {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const file = join(dir, name);
    if (statSync(file).isDirectory()) yield* buildFiles(file, base);
    else yield { path: `/${relative(base, file).split(sep).join('/')}`, file };
  }
}

/** Writes the manifest of the build in `outDir` to its well-known path and returns it. */
export function writeManifest(outDir: string, version: string): WebManifest {
  const manifest = createManifest(
    version,
    [...buildFiles(outDir)].map(({ path, file }) => ({ path, bytes: readFileSync(file) })),
  );
  const target = join(outDir, ...MANIFEST_PATH.split('/'));
  mkdirSync(join(target, '..'), { recursive: true });
  writeFileSync(target, encodeManifest(manifest));
  return manifest;
}

/** Builds the client of `webDir` (default: this checkout's) into `webDir/dist`. */
export async function buildWeb(
  options: { readonly webDir?: string; readonly logLevel?: 'warn' | 'info' | 'silent' } = {},
): Promise<WebBuild> {
  const webDir = options.webDir ?? WEB_DIR;
  const outDir = join(webDir, 'dist');
  const { build } = await import('vite');
  await build({
    root: webDir,
    configFile: join(webDir, 'vite.config.ts'),
    logLevel: options.logLevel ?? 'warn',
  });
  // The service worker: one classic script at a fixed URL (its scope is the whole origin).
  await build({
    root: webDir,
    configFile: false,
    logLevel: options.logLevel ?? 'warn',
    resolve: { conditions: ['parley-source', 'browser', 'module', 'import', 'default'] },
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      target: 'es2022',
      minify: true,
      reportCompressedSize: false,
      lib: {
        entry: join(webDir, 'src/sw/service-worker.ts'),
        formats: ['iife'],
        name: 'parleyServiceWorker',
        fileName: () => 'sw.js',
      },
      rolldownOptions: { checks: { bundlerTimings: false } },
    },
  });
  addPageIntegrity(outDir);
  const { version } = JSON.parse(readFileSync(join(webDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { outDir, manifest: writeManifest(outDir, version) };
}
