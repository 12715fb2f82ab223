/**
 * The offer events this browser has already been notified of, by `(cleaning_id, seq)`. Delivery is
 * at-least-once, so a push service may hand over the same event twice after a server crash; the newest
 * entries are kept, enough to cover any retry window, and the oldest pruned.
 */
const DATABASE = 'phresh-push';
const STORE = 'seen';
const KEPT = 500;

type Sighting = { key: string; at: number };

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: 'key' }).createIndex('at', 'at');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }).catch((error: unknown) => {
    opening = undefined;
    throw error;
  });
  return opening;
}

/**
 * Records the event and says whether it is the first sighting. Check and record run in one read-write
 * transaction, which IndexedDB runs one at a time, so two copies of a push handled at once cannot both pass.
 */
export async function firstSighting(cleaningId: number, seq: number): Promise<boolean> {
  const db = await open();
  return new Promise<boolean>((resolve, reject) => {
    const transaction = db.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    const key = `${cleaningId}:${seq}`;
    let first = false;
    const existing = store.get(key);
    existing.onsuccess = () => {
      if (existing.result !== undefined) return;
      first = true;
      store.put({ key, at: Date.now() } satisfies Sighting);
      const count = store.count();
      count.onsuccess = () => {
        let surplus = count.result - KEPT;
        if (surplus <= 0) return;
        const oldest = store.index('at').openCursor();
        oldest.onsuccess = () => {
          const cursor = oldest.result;
          if (!cursor || surplus-- <= 0) return;
          cursor.delete();
          cursor.continue();
        };
      };
    };
    transaction.oncomplete = () => resolve(first);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}
