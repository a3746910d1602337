/**
 * The transaction journal of the local TransactWriteItems emulation: before a transaction
 * touches dynalite, the image of every item it names is written to a file and fsynced; the
 * file is removed (and the directory fsynced) once the transaction is committed or undone.
 * A file found at start therefore belongs to a transaction that was never answered, and its
 * images are put back before the emulator accepts requests, so a crash (kill -9, power loss)
 * mid-transaction leaves all of it or none, as DynamoDB does.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fsyncDirectory, GroupSync } from './group-sync.ts';

export type Item = Record<string, AttributeValue>;

/** An item as it was before the transaction (`prior` undefined: it did not exist). */
export interface ItemImage {
  table: string;
  key: Item;
  prior: Item | undefined;
}

export interface JournalEntry {
  id: string;
  images: ItemImage[];
}

export class TransactionJournal {
  private readonly directorySync: GroupSync;

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    this.directorySync = new GroupSync(() => fsyncDirectory(directory));
  }

  /**
   * Durably records the before-images; only then may the transaction write. The file work runs
   * off the main thread (other requests go on meanwhile); the caller awaits it.
   */
  async begin(images: ItemImage[]): Promise<JournalEntry> {
    const entry: JournalEntry = { id: `${Date.now().toString(36)}-${randomUUID()}`, images };
    const handle = await open(this.file(entry.id), 'wx');
    try {
      await handle.writeFile(JSON.stringify(entry));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.directorySync.request();
    return entry;
  }

  /** The transaction is committed or undone: its images are no longer needed (durably, before the answer). */
  async end(entry: JournalEntry): Promise<void> {
    await rm(this.file(entry.id), { force: true });
    await this.directorySync.request();
  }

  /** Transactions that were begun and never ended (the process died during them). */
  unfinished(): JournalEntry[] {
    const entries: JournalEntry[] = [];
    for (const name of readdirSync(this.directory).sort()) {
      if (!name.endsWith('.json')) continue;
      try {
        entries.push(JSON.parse(readFileSync(join(this.directory, name), 'utf8')) as JournalEntry);
      } catch {
        // A file cut short by the crash: begin() had not returned, so nothing was written to
        // dynalite under it.
        rmSync(join(this.directory, name), { force: true });
      }
    }
    return entries;
  }

  private file(id: string): string {
    return join(this.directory, `${id}.json`);
  }

}
