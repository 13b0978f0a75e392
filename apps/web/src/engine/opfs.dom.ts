/**
 * What the engine worker can tell about the browser's private file system before it loads
 * SQLite and the SDK: whether OPFS exists at all, and whether a store may already be there. A
 * first visit has no pool directory, so the worker can show the registration screen while the
 * heavy half (`engine-runtime.dom.ts`) is still on its way.
 */

/** The `opfs-sahpool` VFS's directory, which holds the store's files once it exists. */
export const POOL_DIRECTORY = '.parley-sahpool';

/** Why this browser cannot store Parley's data, or undefined if it has OPFS. */
export function opfsMissing(): string | undefined {
  // Older browsers lack `navigator.storage` altogether, whatever the DOM types say.
  const storage = navigator.storage as StorageManager | undefined;
  if (typeof storage?.getDirectory !== 'function')
    return 'This browser does not give web pages a private file system (OPFS), so Parley cannot keep your keys and messages here. Use a current Chrome, Edge, Firefox or Safari, outside private browsing.';
  return undefined;
}

/**
 * False only when the pool's directory is certainly absent (nothing was ever stored here);
 * true when it exists or when OPFS would not say, so that doubt takes the slow, exact path.
 */
export async function storeMayExist(): Promise<boolean> {
  try {
    const root = await navigator.storage.getDirectory();
    await root.getDirectoryHandle(POOL_DIRECTORY);
    return true;
  } catch (error) {
    return !(error instanceof DOMException && error.name === 'NotFoundError');
  }
}
