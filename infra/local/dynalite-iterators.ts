/**
 * dynalite reads a table through streams over LevelDB iterators and closes each iterator, when
 * its stream ends or is destroyed, with `iterator.return()`; the iterators of the abstract-level
 * it runs on (3.x) have `close()` and no `return`. So every Query, Scan and GSI read left its
 * native iterator open until the database closed, and an open LevelDB iterator pins the
 * memtable and table files its snapshot saw: the runtime's resident memory grew with every
 * read, also when the heap did not (issue 8, point 12). Giving the iterators `return` lets
 * dynalite close them as it means to. Applied once, to the abstract-level dynalite loads.
 */
import { createRequire } from 'node:module';

export function closeDynaliteIterators(): void {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const fromLevel = createRequire(fromDynalite.resolve('classic-level'));
  const { AbstractIterator } = fromLevel('abstract-level') as { AbstractIterator: { prototype: object } };
  // The common base of abstract-level's entry, key and value iterators (not exported itself).
  const common = Object.getPrototypeOf(AbstractIterator.prototype) as { close?: () => Promise<void>; return?: () => Promise<void> };
  if (typeof common.close !== 'function') throw new Error('abstract-level iterators have no close(): check dynalite-iterators.ts against the installed version');
  if (typeof common.return === 'function') return; // a later version has it: nothing to add
  Object.defineProperty(common, 'return', {
    value: function (this: { close(): Promise<void> }) {
      return this.close();
    },
    configurable: true,
    writable: true,
  });
}
