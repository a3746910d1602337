/**
 * A structural check of a DICOM Part 10 file (PS3.10 7.1, PS3.5 7): walks every element,
 * sequence and item without decoding values, so a truncated or mis-framed object is refused
 * before it is archived, whatever a lenient value parser makes of it. It also records where
 * the Pixel Data and its fragments are, so a frame can later be read with one ranged GET.
 */
import { inflateRawSync } from 'node:zlib';
import { DicomParseError } from '#core/errors.ts';
import { TransferSyntax } from './tags.ts';

export interface Fragment {
  offset: number;
  length: number;
}

export interface PixelDataLocation {
  /** Offset of the value (after the element header) in the file; undefined for deflated files. */
  offset: number;
  length: number;
  encapsulated: boolean;
  /** Encapsulated only: the Basic Offset Table item and the fragment items, in file order. */
  offsetTable?: Fragment;
  fragments?: Fragment[];
}

export interface Part10Structure {
  transferSyntaxUID: string;
  /** Meta elements as raw strings (UIDs), keyed by tag. */
  meta: Record<string, string>;
  hasMetaGroupLength: boolean;
  /**
   * The top-level identifying UIDs (SOP Class, SOP Instance, Study, Series) exactly as written,
   * trailing NUL/space padding removed. Value parsers may "clean" a UID; these are the bytes.
   */
  identifiers: Record<string, string>;
  /** Every top-level element's tag, in file order (to tell what a lenient value parser dropped). */
  topLevelTags: string[];
  pixelData?: PixelDataLocation;
}

/**
 * How deep sequences may nest (a sequence in an item of a sequence … counts each level).
 * Real objects rarely pass 10 (structured reports nest deepest); past this the object is
 * refused, so every recursive reader of a stored dataset stays far from the stack's limit.
 */
export const MAX_SEQUENCE_DEPTH = 64;

const IDENTIFYING_TAGS = new Set([0x00080016, 0x00080018, 0x0020000d, 0x0020000e]);

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

interface Encoding {
  explicit: boolean;
  littleEndian: boolean;
}

class Reader {
  constructor(
    readonly bytes: Buffer,
    public position: number,
    readonly encoding: Encoding,
  ) {}

  need(count: number, what: string): void {
    if (this.position + count > this.bytes.length) {
      throw new DicomParseError(`the file is truncated: ${what} at byte ${this.position} needs ${count} bytes, ${this.bytes.length - this.position} remain`);
    }
  }

  u16(): number {
    this.need(2, 'a 16-bit field');
    const value = this.encoding.littleEndian ? this.bytes.readUInt16LE(this.position) : this.bytes.readUInt16BE(this.position);
    this.position += 2;
    return value;
  }

  u32(): number {
    this.need(4, 'a 32-bit field');
    const value = this.encoding.littleEndian ? this.bytes.readUInt32LE(this.position) : this.bytes.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  tag(): number {
    const group = this.u16();
    return ((group << 16) | this.u16()) >>> 0;
  }
}

/** Where a top-level Pixel Data element's value starts, for a reader that stops there (PS3.5 7.1). */
export interface PixelDataStart {
  /** Offset of the value in the file. */
  offset: number;
  /** The value length, or undefined for encapsulated (undefined-length) Pixel Data. */
  length: number | undefined;
  littleEndian: boolean;
  explicit: boolean;
}

/**
 * The structure of a file's first bytes, up to the top-level Pixel Data element: what a
 * streamed ingest parses before the pixels arrive. Everything before Pixel Data must lie in
 * `prefix`; the pixels and anything after them are checked as they stream
 * (pixel-data-scanner.ts). Deflated files cannot be read this way (their bytes must be inflated whole).
 */
export function readPart10Head(prefix: Buffer): { structure: Part10Structure; pixelStart: PixelDataStart | undefined } {
  const head: { pixelStart?: PixelDataStart } = {};
  try {
    const structure = readPart10Structure(prefix, head);
    return { structure, pixelStart: head.pixelStart };
  } catch (error) {
    if (error instanceof DicomParseError && error.message.startsWith('the file is truncated')) {
      throw new DicomParseError(`the attributes before Pixel Data take more than the first ${prefix.length} bytes, more than Strata reads before the pixels; send the object without its large non-pixel values`);
    }
    throw error;
  }
}

export function readPart10Structure(bytes: Buffer, head?: { pixelStart?: PixelDataStart }): Part10Structure {
  if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomParseError('not a DICOM Part 10 file: the "DICM" prefix after the 128-byte preamble is missing');
  }
  const metaReader = new Reader(bytes, 132, { explicit: true, littleEndian: true });
  const meta: Record<string, string> = {};
  let hasMetaGroupLength = false;
  while (metaReader.position + 2 <= bytes.length && bytes.readUInt16LE(metaReader.position) === 0x0002) {
    const start = metaReader.position;
    const tag = metaReader.tag();
    const { length } = elementHeader(metaReader, tag);
    metaReader.need(length, `meta element ${hex(tag)}`);
    if (tag === 0x00020000) hasMetaGroupLength = true;
    meta[hex(tag)] = bytes.toString('latin1', metaReader.position, metaReader.position + length).replace(/[\0 ]+$/, '');
    metaReader.position += length;
    if (metaReader.position <= start) break;
  }
  const transferSyntaxUID = meta['00020010'];
  if (!transferSyntaxUID) throw new DicomParseError('the file meta information has no Transfer Syntax UID (0002,0010)');

  let body = bytes;
  let start = metaReader.position;
  const deflated = transferSyntaxUID === TransferSyntax.DeflatedExplicitVRLittleEndian;
  if (deflated && head) throw new DicomParseError('a deflated object this large cannot be read as it streams; send it in an uncompressed or encapsulated transfer syntax');
  if (deflated) {
    try {
      body = inflateRawSync(bytes.subarray(start));
    } catch (error) {
      throw new DicomParseError('the deflated dataset cannot be inflated', { cause: error });
    }
    start = 0;
  }
  const encoding: Encoding = {
    explicit: transferSyntaxUID !== TransferSyntax.ImplicitVRLittleEndian,
    littleEndian: transferSyntaxUID !== TransferSyntax.ExplicitVRBigEndian,
  };
  const reader = new Reader(body, start, encoding);
  const structure: Part10Structure = { transferSyntaxUID, meta, hasMetaGroupLength, identifiers: {}, topLevelTags: [] };
  walkDataset(reader, body.length, structure, 0, head);
  if (deflated && structure.pixelData) structure.pixelData.offset = -1;
  return structure;
}

/** Walks elements until `end` or an item delimiter; records top-level Pixel Data and identifiers. */
function walkDataset(reader: Reader, end: number, structure: Part10Structure | undefined, depth: number, head?: { pixelStart?: PixelDataStart }): void {
  const topLevel = depth === 0;
  while (reader.position < end) {
    // Trailing padding after the last element (some writers add zero bytes) is tolerated.
    if (topLevel && end - reader.position < 8 && reader.bytes.subarray(reader.position, end).every((b) => b === 0)) return;
    const tag = reader.tag();
    if (tag === ITEM_END) {
      reader.u32();
      return;
    }
    const { vr, length } = elementHeader(reader, tag);
    if (topLevel && structure) structure.topLevelTags.push(hex(tag));
    if (tag === PIXEL_DATA && topLevel && structure && head) {
      head.pixelStart = { offset: reader.position, length: length === UNDEFINED ? undefined : length, ...reader.encoding };
      return;
    }
    if (tag === PIXEL_DATA && topLevel && structure) {
      structure.pixelData = pixelData(reader, length);
      continue;
    }
    if (length === UNDEFINED) {
      if (vr !== 'SQ' && vr !== 'UN' && vr !== undefined) {
        throw new DicomParseError(`element ${hex(tag)} (${vr}) has an undefined length, which only sequences may have`);
      }
      walkSequence(reader, UNDEFINED, vr === 'UN', depth + 1);
      continue;
    }
    reader.need(length, `element ${hex(tag)}`);
    if (topLevel && structure && IDENTIFYING_TAGS.has(tag)) {
      structure.identifiers[hex(tag)] = reader.bytes.toString('latin1', reader.position, reader.position + length).replace(/[\0 ]+$/, '');
    }
    if (vr === 'SQ') {
      const valueEnd = reader.position + length;
      walkSequence(reader, valueEnd, false, depth + 1);
      reader.position = valueEnd;
    } else reader.position += length;
  }
  if (reader.position > end) throw new DicomParseError('an element runs past the end of its container');
}

/** Items of a sequence (an undefined-length UN is an implicit VR little endian sequence, PS3.5 6.2.2). */
function walkSequence(reader: Reader, end: number, implicitUn: boolean, depth: number): void {
  if (depth > MAX_SEQUENCE_DEPTH) {
    throw new DicomParseError(`sequences nest deeper than ${MAX_SEQUENCE_DEPTH} levels at byte ${reader.position}; Strata stores objects nested at most ${MAX_SEQUENCE_DEPTH} deep`);
  }
  const items = implicitUn ? new Reader(reader.bytes, reader.position, { explicit: false, littleEndian: true }) : reader;
  while (end === UNDEFINED || items.position < end) {
    const tag = items.tag();
    const length = items.u32();
    if (tag === SEQUENCE_END) break;
    if (tag !== ITEM) throw new DicomParseError(`expected a sequence item at byte ${items.position - 8}, found ${hex(tag)}`);
    if (length === UNDEFINED) walkDataset(items, items.bytes.length, undefined, depth);
    else {
      items.need(length, 'a sequence item');
      const itemEnd = items.position + length;
      walkDataset(items, itemEnd, undefined, depth);
      items.position = itemEnd;
    }
  }
  reader.position = items.position;
}

function pixelData(reader: Reader, length: number): PixelDataLocation {
  if (length !== UNDEFINED) {
    reader.need(length, 'Pixel Data');
    const location = { offset: reader.position, length, encapsulated: false };
    reader.position += length;
    return location;
  }
  const start = reader.position;
  const fragments: Fragment[] = [];
  let offsetTable: Fragment | undefined;
  for (;;) {
    const tag = reader.tag();
    const itemLength = reader.u32();
    if (tag === SEQUENCE_END) break;
    if (tag !== ITEM || itemLength === UNDEFINED) throw new DicomParseError('encapsulated Pixel Data holds something other than fragment items');
    reader.need(itemLength, 'a Pixel Data fragment');
    const fragment = { offset: reader.position, length: itemLength };
    if (offsetTable === undefined) offsetTable = fragment;
    else fragments.push(fragment);
    reader.position += itemLength;
  }
  return { offset: start, length: reader.position - start, encapsulated: true, offsetTable: offsetTable!, fragments };
}

function elementHeader(reader: Reader, tag: number): { vr: string | undefined; length: number } {
  const group = tag >>> 16;
  if (group === 0xfffe) return { vr: undefined, length: reader.u32() };
  if (!reader.encoding.explicit && group !== 0x0002) return { vr: undefined, length: reader.u32() };
  reader.need(2, 'a VR');
  const vr = reader.bytes.toString('latin1', reader.position, reader.position + 2);
  reader.position += 2;
  if (LONG_VRS.has(vr)) {
    reader.u16(); // reserved
    return { vr, length: reader.u32() };
  }
  if (SHORT_VRS.has(vr)) return { vr, length: reader.u16() };
  throw new DicomParseError(`element ${hex(tag)} has an invalid VR "${vr.replace(/[^\x20-\x7e]/g, '?')}"`);
}

const hex = (tag: number) => tag.toString(16).toUpperCase().padStart(8, '0');
