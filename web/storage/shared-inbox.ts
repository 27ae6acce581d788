/** Files shared into Whisper from the system share sheet, until the person sends them to someone. */
import type { WhisperDatabase } from './database.js';

export class SharedInbox {
  constructor(private readonly db: WhisperDatabase) {}

  count(): Promise<number> {
    return this.db.count('shared');
  }

  /** Takes every waiting file out of the inbox (to send them, or to throw them away). */
  async take(): Promise<File[]> {
    const tx = this.db.transaction('shared', 'readwrite');
    const files = await tx.store.getAll();
    await tx.store.clear();
    await tx.done;
    return files;
  }
}
