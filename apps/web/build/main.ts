/** `npm run build:web`: builds the web client and prints its root. */
import { buildWeb } from './build-web.js';

const { outDir, manifest } = await buildWeb();
const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
process.stdout.write(
  `parley web ${manifest.version}: ${manifest.files.length} files, ${bytes} bytes in ${outDir}\n` +
    `root ${manifest.root}\n`,
);
