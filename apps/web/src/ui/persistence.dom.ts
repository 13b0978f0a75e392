/**
 * Persistent storage: browsers may evict a site's data under storage pressure unless it is
 * granted persistence, which they decide on after a user gesture. Asked at registration (and
 * from Settings); the answer is shown, because a refusal means history could be lost.
 */
export type Persistence = 'granted' | 'refused' | 'unsupported';

export async function requestPersistence(): Promise<Persistence> {
  const storage = navigator.storage as StorageManager | undefined;
  if (typeof storage?.persist !== 'function') return 'unsupported';
  try {
    if (await storage.persisted()) return 'granted';
    return (await storage.persist()) ? 'granted' : 'refused';
  } catch {
    return 'refused';
  }
}

export async function persistence(): Promise<Persistence> {
  const storage = navigator.storage as StorageManager | undefined;
  if (typeof storage?.persisted !== 'function') return 'unsupported';
  return (await storage.persisted()) ? 'granted' : 'refused';
}
