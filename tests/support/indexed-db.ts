/**
 * Source text that reads every record of one store of Whisper's IndexedDB, run in a page or a worker of the
 * person's browser (source text: tsx would otherwise add helpers that neither has).
 */
export const readStore = (store: string) => `(async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open('whisper');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const all = await new Promise((resolve) => {
    const request = db.transaction(${JSON.stringify(store)}).objectStore(${JSON.stringify(store)}).getAll();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return all;
})()`;
