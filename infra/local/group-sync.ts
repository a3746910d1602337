/**
 * Group commit for fsync: many writers that each need "everything I did so far is durable"
 * share one fsync instead of paying one each. A request made while an fsync runs is served by
 * the next one, which starts after it and therefore covers everything done before the request;
 * requests made while that next one waits share it.
 */
import { open } from 'node:fs/promises';

export class GroupSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly sync: () => Promise<void>) {}

  request(): Promise<void> {
    if (!this.running) {
      const running = this.sync().finally(() => {
        if (this.running === running) this.running = undefined;
      });
      this.running = running;
      return running;
    }
    this.next ??= this.running
      .catch(() => {})
      .then(() => {
        this.next = undefined;
        return this.request();
      });
    return this.next;
  }
}

/** Makes the directory's entries (files created, renamed or removed in it) durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
