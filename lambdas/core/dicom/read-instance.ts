/**
 * Reads a DICOM Part 10 instance (PS3.10) well enough to store and index it: the file meta,
 * the four identifying UIDs and the non-bulk attributes as DICOM JSON. Anything that is not
 * a complete Part 10 file is refused with the PS3.18 failure reason that says why.
 */
import type { DicomDataset } from 'dcmjs';
import dcmjs from '#core/dicom/dcmjs-configured.ts';
import { DicomParseError } from '#core/errors.ts';
import { FailureReason, WarningReason } from '#core/dicomweb/status-codes.ts';
import { decodeIso2022, usesCodeExtensions } from './charsets.ts';
import { toDicomJson, type DicomJsonDataset } from './dicom-json.ts';
import { readPart10Head, readPart10Structure, type Part10Structure, type PixelDataLocation, type PixelDataStart } from './part10-structure.ts';
import { pixelGeometryProblem } from './frames.ts';
import { imagePixelAttributes } from './pixel-format.ts';
import { Tag } from './tags.ts';
import { quoteUid, uidProblem } from './uid.ts';

export interface ParsedInstance {
  transferSyntaxUID: string;
  sopClassUID: string;
  sopInstanceUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** Every attribute as DICOM JSON (text in Unicode); large binary values as relative `bulkdata/<path>` BulkDataURIs. */
  dataset: DicomJsonDataset;
  /** Where the Pixel Data and its fragments are (for frame retrieval). */
  structure: Part10Structure;
  /** Why an instance is stored but not quite right (PS3.18 warning reason, e.g. 0xB007, and what). */
  warnings: InstanceWarning[];
}

export interface InstanceWarning {
  reason: number;
  message: string;
}
/** Binary values up to this size travel inline in metadata (InlineBinary). */
export const INLINE_BINARY_MAX = 1024;
const TEXT_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

export function readInstance(bytes: Uint8Array): ParsedInstance {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const structure = readPart10Structure(buffer); // refuses what is not a whole Part 10 object
  return withPixelData(readAttributes(buffer, structure), structure.pixelData);
}

/**
 * An instance read from its first bytes only, up to Pixel Data (a streamed ingest): everything
 * but the Pixel Data's location, which `withPixelData` adds once the rest has streamed by
 * (pixel-data-scanner.ts). The same reading as readInstance, which is this plus the whole walk.
 */
export function readInstanceHead(prefix: Buffer): { instance: ParsedInstance; pixelStart: PixelDataStart | undefined } {
  const { structure, pixelStart } = readPart10Head(prefix);
  return { instance: readAttributes(prefix, structure), pixelStart };
}

/** Everything but the Pixel Data: attributes (parsing stops before Pixel Data), identity, what the parser dropped. */
function readAttributes(buffer: Buffer, structure: Part10Structure): ParsedInstance {
  const { dict, charsets } = parseAttributes(buffer);
  // Small binary values inline; larger ones referenced relative to the instance.
  const dataset = toDicomJson(dict, { inlineBinaryMaxBytes: INLINE_BINARY_MAX, bulkDataUri: (path) => `bulkdata/${path}` });
  if (usesCodeExtensions(charsets)) decodeText(dataset, charsets);

  const { identity, warnings } = identify(structure);
  // The dataset carries the UIDs as written (and, where the meta stood in, the meta's).
  for (const [tag, uid] of Object.entries(identity.values)) dataset[tag] = { vr: 'UI', Value: [uid] };
  const unread = unreadElements(structure, dataset);
  if (unread.length) {
    // The bytes are stored as sent; only what the index and metadata show is incomplete — said, not hidden.
    const listed = unread.slice(0, 8).map(elementNumber).join(', ');
    warnings.push({
      reason: WarningReason.ElementsDiscarded,
      message: `${unread.length} element(s) could not be read into the index and metadata (${listed}${unread.length > 8 ? ', ...' : ''}); the stored object is intact`,
    });
  }
  return { transferSyntaxUID: structure.transferSyntaxUID, ...identity.parsed, dataset, structure, warnings };
}

/** The instance with its Pixel Data located: a BulkDataURI in the dataset, and a warning when the pixel attributes disagree with it. */
export function withPixelData(instance: ParsedInstance, pixelData: PixelDataLocation | undefined, tagsAfterPixelData: string[] = []): ParsedInstance {
  if (!pixelData) return instance;
  const { dataset } = instance;
  // Pixel Data is not read (parsing stops before it); the structure check located it.
  const bits = Number(dataset['00280100']?.Value?.[0] ?? 8);
  dataset[Tag.PixelData] = { vr: pixelData.encapsulated || bits <= 8 ? 'OB' : 'OW', BulkDataURI: `bulkdata/${Tag.PixelData}` };
  const warnings = [...instance.warnings];
  const format = imagePixelAttributes(dataset);
  const problem = pixelGeometryProblem(pixelData, format, format.frames);
  if (problem) {
    // Stored as sent (nothing is lost), with a warning; retrieval serves only the frames that exist.
    const discarded = warnings.findIndex((w) => w.reason === WarningReason.ElementsDiscarded);
    warnings.splice(discarded < 0 ? warnings.length : discarded, 0, { reason: WarningReason.DataSetDoesNotMatchSopClass, message: problem });
  }
  const topLevelTags = [...instance.structure.topLevelTags, ...tagsAfterPixelData];
  return { ...instance, structure: { ...instance.structure, topLevelTags, pixelData }, warnings };
}

const IDENTIFYING = [
  { name: 'SOPClassUID', tag: Tag.SOPClassUID, meta: Tag.MediaStorageSOPClassUID, key: 'sopClassUID' },
  { name: 'SOPInstanceUID', tag: Tag.SOPInstanceUID, meta: Tag.MediaStorageSOPInstanceUID, key: 'sopInstanceUID' },
  { name: 'StudyInstanceUID', tag: Tag.StudyInstanceUID, meta: undefined, key: 'studyInstanceUID' },
  { name: 'SeriesInstanceUID', tag: Tag.SeriesInstanceUID, meta: undefined, key: 'seriesInstanceUID' },
] as const;

type Identity = Pick<ParsedInstance, 'sopClassUID' | 'sopInstanceUID' | 'studyInstanceUID' | 'seriesInstanceUID'>;

/**
 * The four identifying UIDs from the bytes as written (never a cleaned-up value). A dataset
 * without its SOP Class or SOP Instance UID is identified by its file meta (0002,0002) /
 * (0002,0003), with warning 0xB007 saying which; Study and Series UIDs have no fallback.
 */
function identify(structure: Part10Structure): { identity: { parsed: Identity; values: Record<string, string> }; warnings: InstanceWarning[] } {
  const parsed = {} as Record<keyof Identity, string>;
  const values: Record<string, string> = {};
  const warnings: InstanceWarning[] = [];
  for (const element of IDENTIFYING) {
    const label = `${element.name} ${elementNumber(element.tag)}`;
    let uid = structure.identifiers[element.tag];
    if (!uid) {
      const fallback = element.meta ? structure.meta[element.meta] : undefined;
      if (!fallback) {
        const message = element.meta
          ? `neither the dataset's ${label} nor the file meta ${elementNumber(element.meta)} gives it a value`
          : `the dataset has no ${label}, which nothing else can stand in for`;
        throw new DicomParseError(message, { failureReason: FailureReason.DataSetDoesNotMatchSopClass });
      }
      uid = fallback;
      warnings.push({
        reason: WarningReason.DataSetDoesNotMatchSopClass,
        message: `the dataset has no ${label}; it was stored and indexed under the file meta's ${elementNumber(element.meta!)} ${quoteUid(uid)}`,
      });
    }
    values[element.tag] = uid;
    const problem = uidProblem(uid);
    if (problem) {
      throw new DicomParseError(`${label} ${quoteUid(uid)} is not a valid UID (PS3.5 9.1): it ${problem}`, { failureReason: FailureReason.DataSetDoesNotMatchSopClass });
    }
    parsed[element.key] = uid;
  }
  // The dataset is authoritative; a file meta that disagrees (common after de-identification)
  // is stored as received, with a warning.
  const metaSopClass = structure.meta[Tag.MediaStorageSOPClassUID];
  const metaSopInstance = structure.meta[Tag.MediaStorageSOPInstanceUID];
  if (!warnings.length && ((metaSopClass && metaSopClass !== parsed.sopClassUID) || (metaSopInstance && metaSopInstance !== parsed.sopInstanceUID))) {
    warnings.push({ reason: WarningReason.DataSetDoesNotMatchSopClass, message: 'its file meta (0002,0002/0003) does not match its dataset; it was stored as received' });
  }
  return { identity: { parsed, values }, warnings };
}

/** Top-level elements before Pixel Data that the value parser did not return (group lengths aside). */
function unreadElements(structure: Part10Structure, dataset: DicomJsonDataset): string[] {
  const pixels = structure.topLevelTags.indexOf(Tag.PixelData);
  const beforePixels = pixels < 0 ? structure.topLevelTags : structure.topLevelTags.slice(0, pixels);
  return beforePixels.filter((tag) => !tag.endsWith('0000') && !(tag in dataset));
}

const elementNumber = (tag: string) => `(${tag.slice(0, 4)},${tag.slice(4)})`;

/**
 * Attribute values with dcmjs. The structure has been checked already, so dcmjs runs
 * leniently: it refuses ISO 2022 character sets and some valid encodings when strict.
 */
function parseAttributes(bytes: Buffer): { dict: DicomDataset; charsets: string[] } {
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    // Stop before Pixel Data: indexing and metadata need everything but the pixels.
    const { dict } = dcmjs.data.DicomMessage.readFile(copy, { ignoreErrors: true, untilTag: Tag.PixelData, noCopy: true });
    delete dict[Tag.PixelData];
    const declared = dict[Tag.SpecificCharacterSet]?._rawValue;
    const charsets = Array.isArray(declared) ? declared.map((c) => String(c ?? '').trim()) : [];
    return { dict, charsets };
  } catch (error) {
    throw new DicomParseError(`cannot parse the DICOM dataset: ${(error as Error).message}`, { cause: error });
  }
}

function decodeText(dataset: DicomJsonDataset, charsets: string[]): void {
  for (const attribute of Object.values(dataset)) {
    if (!attribute.Value) continue;
    if (attribute.vr === 'SQ') {
      for (const item of attribute.Value) decodeText(item as DicomJsonDataset, charsets);
    } else if (TEXT_VRS.has(attribute.vr)) {
      attribute.Value = attribute.Value.map((value) => {
        if (typeof value === 'string') return decodeIso2022(value, charsets);
        if (value && typeof value === 'object') {
          return Object.fromEntries(Object.entries(value).map(([group, text]) => [group, decodeIso2022(String(text), charsets)]));
        }
        return value;
      });
    }
  }
}
