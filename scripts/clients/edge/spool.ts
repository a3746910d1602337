/**
 * The edge gateway's durable spool: an instance received by C-STORE is written to
 * `incoming/`, flushed to disk (fsync), renamed into `ready/` and the directory flushed, all
 * before the C-STORE response says Success; so an acknowledged instance survives a crash or a
 * power cut. `ready/` is the queue the forwarder drains (oldest first: names start with the
 * receive time); a file leaves it only once the archive holds it (deleted) or refused it
 * (moved to `refused/` with the reason beside it). Anything left in `incoming/` at start was
 * never acknowledged and is removed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readdir, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';

export class Spool {
  readonly incoming: string;
  readonly ready: string;
  readonly refused: string;
  private sequence = 0;

  constructor(readonly dir: string) {
    this.incoming = join(dir, 'incoming');
    this.ready = join(dir, 'ready');
    this.refused = join(dir, 'refused');
    for (const sub of [this.incoming, this.ready, this.refused]) mkdirSync(sub, { recursive: true });
    // Never acknowledged (the C-STORE response comes after the rename): the sender still has them.
    for (const name of readdirSync(this.incoming)) rmSync(join(this.incoming, name), { force: true });
  }

  /** A writer for one instance: its bytes go to `incoming/` as they arrive; `commit()` makes them durable in `ready/`. */
  writer(header: Buffer): SpoolWriter {
    const name = `${Date.now().toString().padStart(15, '0')}-${String(this.sequence++).padStart(6, '0')}-${randomUUID()}.dcm`;
    return new SpoolWriter(join(this.incoming, name), join(this.ready, name), header, this.ready);
  }

  /** The queue, oldest first. */
  async queued(limit = Infinity): Promise<string[]> {
    const names = (await readdir(this.ready)).filter((name) => name.endsWith('.dcm')).sort();
    return names.slice(0, limit).map((name) => join(this.ready, name));
  }

  async depth(): Promise<number> {
    return (await readdir(this.ready)).filter((name) => name.endsWith('.dcm')).length;
  }

  /** The archive holds it: it leaves the queue. */
  async forwarded(path: string): Promise<void> {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await syncDirectory(this.ready);
  }

  /** The archive refused it: kept aside with the reason, for a person to look at. */
  async refuse(path: string, reason: string): Promise<void> {
    const target = join(this.refused, path.split('/').pop()!);
    await writeFile(`${target}.reason.txt`, `${reason}\n`);
    await rename(path, target);
    await syncDirectory(this.ready);
    await syncDirectory(this.refused);
  }
}

/** Writes one instance to its incoming file (the meta header first), then commits it. */
export class SpoolWriter extends Writable {
  private handle: Promise<FileHandle>;
  bytes = 0;

  constructor(
    private readonly incomingPath: string,
    private readonly readyPath: string,
    header: Buffer,
    private readonly readyDir: string,
  ) {
    super();
    this.handle = open(incomingPath, 'wx');
    this.write(header);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.handle
      .then((handle) => handle.write(chunk))
      .then(() => {
        this.bytes += chunk.length;
        done();
      }, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.handle.then(async (handle) => {
      await handle.sync();
      await handle.close();
    }).then(() => done(), done);
  }

  /** Waits for every byte, then makes the instance durable in the queue; its path there. */
  async commit(): Promise<string> {
    if (this.errored) throw this.errored;
    if (!this.writableFinished) {
      await new Promise<void>((resolve, reject) => {
        this.once('finish', resolve);
        this.once('error', reject);
      });
    }
    await rename(this.incomingPath, this.readyPath);
    await syncDirectory(this.readyDir);
    return this.readyPath;
  }

  /** Gives up on a partial instance (an aborted association, a failed write). */
  async discard(): Promise<void> {
    this.destroy();
    await this.handle.then((handle) => handle.close()).catch(() => {});
    await unlink(this.incomingPath).catch(() => {});
  }
}

/** A rename or unlink is durable once its directory is flushed (POSIX). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
