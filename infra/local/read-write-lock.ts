/**
 * A fair readers–writer lock: any number of readers together, or one writer alone, granted in
 * arrival order (a waiting writer holds back readers that come after it, so a steady stream
 * of reads cannot starve a transaction).
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: { exclusive: boolean; grant: () => void }[] = [];

  async run<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    await this.acquire(exclusive);
    try {
      return await task();
    } finally {
      this.release(exclusive);
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.free(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ exclusive, grant }));
  }

  private free(exclusive: boolean): boolean {
    return !this.writing && (!exclusive || this.readers === 0);
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writing = true;
    else this.readers++;
  }

  private release(exclusive: boolean): void {
    if (exclusive) this.writing = false;
    else this.readers--;
    while (this.waiting.length > 0 && this.free(this.waiting[0]!.exclusive)) {
      const next = this.waiting.shift()!;
      this.take(next.exclusive);
      next.grant();
    }
  }
}

/** One lock per name (a table), taken in name order so that holders of several never deadlock. */
export class NamedLocks {
  private readonly locks = new Map<string, ReadWriteLock>();

  run<T>(names: Iterable<string>, exclusive: boolean, task: () => Promise<T>): Promise<T> {
    const ordered = [...new Set(names)].sort();
    const nest = (i: number): Promise<T> => (i === ordered.length ? task() : this.lock(ordered[i]!).run(exclusive, () => nest(i + 1)));
    return nest(0);
  }

  private lock(name: string): ReadWriteLock {
    let lock = this.locks.get(name);
    if (!lock) this.locks.set(name, (lock = new ReadWriteLock()));
    return lock;
  }
}
