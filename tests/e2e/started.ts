/**
 * What a test starts itself (a coturn, a Redis, a browser of its own...),
 * stopped after its people's pages have been checked and closed, the last
 * started first, also when a check failed.
 */
import { closeAll, type Person } from './people.js';

export type Stop = () => Promise<unknown>;

export async function endTest(people: Person[], started: Stop[]): Promise<void> {
  try {
    await closeAll(people);
  } finally {
    for (const stop of started.splice(0).reverse()) await stop();
  }
}
