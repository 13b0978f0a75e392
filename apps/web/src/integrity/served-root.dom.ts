/** The root of the build the relay serves now, from its published manifest. */
import { MANIFEST_PATH } from '@parley/web-integrity';

/** The served manifest's root, or undefined when it cannot be fetched (offline, no manifest). */
export async function servedRoot(): Promise<string | undefined> {
  try {
    const response = await fetch(MANIFEST_PATH, { cache: 'no-store' });
    if (!response.ok) return undefined;
    const { root } = (await response.json()) as { root?: unknown };
    return typeof root === 'string' && /^[0-9a-f]{64}$/.test(root) ? root : undefined;
  } catch {
    return undefined;
  }
}
