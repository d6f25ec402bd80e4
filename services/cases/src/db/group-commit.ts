/**
 * Group commit: items handed in while a batch is being written wait, and go together in the
 * next batch — so under load each transaction carries what built up during the last one, instead
 * of every item paying for a transaction (and a turn on the shared statistics rows) of its own.
 * Alone, an item is written at once. Each caller's promise settles with its own item's fate:
 * when a batch fails, its items are written again one by one, so a bad item fails alone —
 * unless the failure says the database is away (`transient`), which would fail them all alike.
 */
export function groupCommit<T>(
  write: (items: T[]) => Promise<void>,
  options: { maxBatch: number; transient: (error: unknown) => boolean },
): (item: T) => Promise<void> {
  const queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      try {
        await write(batch.map(({ item }) => item));
        for (const { resolve } of batch) resolve();
      } catch (error) {
        if (batch.length === 1 || options.transient(error)) {
          for (const { reject } of batch) reject(error);
          continue;
        }
        for (const { item, resolve, reject } of batch) {
          await write([item]).then(resolve, reject);
        }
      }
    }
    writing = false;
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
