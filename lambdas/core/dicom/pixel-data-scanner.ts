/**
 * The rest of a Part 10 file after its header, checked as it streams by: the Pixel Data value
 * (native, or the fragment items of encapsulated Pixel Data) and any top-level elements after
 * it. It keeps the fragment positions and the Basic Offset Table, never the pixels, and says
 * at the end whether the file was whole — the same refusals as readPart10Structure, which
 * checks a file held in memory.
 */
import { DicomParseError } from '#core/errors.ts';
import type { Fragment, PixelDataLocation, PixelDataStart } from './part10-structure.ts';

const ITEM = 0xfffee000;
const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);
/** A Basic Offset Table longer than this (over 256k frames) is not kept; frames are then cut without it. */
const MAX_OFFSET_TABLE_BYTES = 1024 * 1024;

export interface ScannedPixelData {
  pixelData: PixelDataLocation;
  /** The Basic Offset Table's value (encapsulated Pixel Data), unless empty or very long. */
  offsetTable: Buffer | undefined;
  /** Top-level elements after Pixel Data, in file order (as Part10Structure.topLevelTags lists them). */
  tagsAfterPixelData: string[];
}

type State =
  | { kind: 'native'; remaining: number }
  | { kind: 'item-header' }
  | { kind: 'item-value'; remaining: number; keep: Buffer[] | undefined }
  | { kind: 'element-header' }
  | { kind: 'skip'; remaining: number };

export class PixelDataScanner {
  private state: State;
  /** File offset of the next byte the scanner expects. */
  private position: number;
  private pending: Buffer = Buffer.alloc(0);
  private readonly fragments: Fragment[] = [];
  private offsetTable: Fragment | undefined;
  private offsetTableBytes: Buffer | undefined;
  private encapsulatedEnd: number | undefined;
  private readonly tagsAfter: string[] = [];

  constructor(private readonly start: PixelDataStart) {
    this.position = start.offset;
    this.state = start.length === undefined ? { kind: 'item-header' } : { kind: 'native', remaining: start.length };
  }

  /** Feeds the file's bytes in order; `offset` is where `chunk` starts in the file (bytes before the Pixel Data value are ignored). */
  update(chunk: Buffer, offset: number): void {
    let at = Math.max(0, this.position - offset);
    while (at < chunk.length) {
      const state = this.state;
      if (state.kind === 'native' || state.kind === 'skip' || state.kind === 'item-value') {
        const take = Math.min(state.remaining, chunk.length - at);
        if (state.kind === 'item-value' && state.keep) state.keep.push(Buffer.from(chunk.subarray(at, at + take)));
        state.remaining -= take;
        at += take;
        this.position += take;
        if (state.remaining === 0) this.endValue();
        continue;
      }
      // A header: gather its bytes (it may straddle chunks), then decode it.
      const need = this.headerLength();
      const take = Math.min(need - this.pending.length, chunk.length - at);
      this.pending = Buffer.concat([this.pending, chunk.subarray(at, at + take)]);
      at += take;
      this.position += take;
      if (this.pending.length === this.headerLength()) this.decodeHeader();
    }
  }

  /** The Pixel Data's location once the whole file (`size` bytes) has been fed; refuses a file that is not whole. */
  finish(size: number): ScannedPixelData {
    if (this.position !== size) throw new DicomParseError(`the file is truncated: ${size} bytes were fed where ${this.position} were expected`);
    const state = this.state;
    const trailingZeros = state.kind === 'element-header' && this.pending.length < 8 && this.pending.every((b) => b === 0);
    if (state.kind === 'native' && state.remaining > 0) throw truncated('Pixel Data');
    if (state.kind !== 'element-header' && state.kind !== 'native') throw truncated(state.kind === 'item-header' || state.kind === 'item-value' ? 'a Pixel Data fragment' : 'an element after Pixel Data');
    if (!trailingZeros && this.pending.length) throw truncated('an element after Pixel Data');
    if (this.start.length !== undefined) {
      return { pixelData: { offset: this.start.offset, length: this.start.length, encapsulated: false }, offsetTable: undefined, tagsAfterPixelData: this.tagsAfter };
    }
    return {
      pixelData: {
        offset: this.start.offset,
        length: this.encapsulatedEnd! - this.start.offset,
        encapsulated: true,
        offsetTable: this.offsetTable!,
        fragments: this.fragments,
      },
      offsetTable: this.offsetTableBytes,
      tagsAfterPixelData: this.tagsAfter,
    };
  }

  private headerLength(): number {
    if (this.state.kind === 'item-header' || !this.start.explicit) return 8;
    if (this.pending.length < 6) return 6;
    return LONG_VRS.has(this.pending.toString('latin1', 4, 6)) ? 12 : 8;
  }

  private endValue(): void {
    const state = this.state;
    if (state.kind === 'item-value' && state.keep) this.offsetTableBytes = Buffer.concat(state.keep);
    this.state = state.kind === 'item-value' ? { kind: 'item-header' } : { kind: 'element-header' };
  }

  private decodeHeader(): void {
    const header = this.pending;
    this.pending = Buffer.alloc(0);
    const tag = ((this.u16Of(header, 0) << 16) | this.u16Of(header, 2)) >>> 0;
    if (this.state.kind === 'item-header') {
      const length = this.u32Of(header, 4);
      if (tag === SEQUENCE_END) {
        this.encapsulatedEnd = this.position;
        this.state = { kind: 'element-header' };
        return;
      }
      if (tag !== ITEM || length === UNDEFINED) throw new DicomParseError('encapsulated Pixel Data holds something other than fragment items');
      const fragment = { offset: this.position, length };
      const first = this.offsetTable === undefined;
      if (first) this.offsetTable = fragment;
      else this.fragments.push(fragment);
      this.state = { kind: 'item-value', remaining: length, keep: first && length <= MAX_OFFSET_TABLE_BYTES ? [] : undefined };
      if (length === 0) this.endValue();
      return;
    }
    // A top-level element after Pixel Data (padding, signatures): its value is skipped.
    this.tagsAfter.push(hex(tag));
    let length: number;
    if (!this.start.explicit) length = this.u32Of(header, 4);
    else {
      const vr = header.toString('latin1', 4, 6);
      if (LONG_VRS.has(vr)) length = this.u32Of(header, 8);
      else if (SHORT_VRS.has(vr)) length = this.u16Of(header, 6);
      else throw new DicomParseError(`element ${hex(tag)} has an invalid VR "${vr.replace(/[^\x20-\x7e]/g, '?')}"`);
    }
    if (length === UNDEFINED) {
      throw new DicomParseError(`element ${hex(tag)} after Pixel Data has an undefined length, which Strata cannot check while the object streams in`);
    }
    this.state = { kind: 'skip', remaining: length };
    if (length === 0) this.endValue();
  }

  private u16Of(bytes: Buffer, at: number): number {
    return this.start.littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
  }

  private u32Of(bytes: Buffer, at: number): number {
    return this.start.littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
  }
}

const truncated = (what: string) => new DicomParseError(`the file is truncated: ${what} runs past the end of the file`);
const hex = (tag: number) => tag.toString(16).toUpperCase().padStart(8, '0');
