/**
 * The DICOM JSON model (PS3.18 Annex F) from dcmjs datasets: tag keys of 8 uppercase hex
 * digits, `{vr, Value}` attributes, PN as `{Alphabetic, Ideographic, Phonetic}`, no `Value`
 * for an empty attribute, `null` for an empty slot, binary values inline or left out.
 */
import type { DicomDataset, DicomElement } from 'dcmjs';

export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

export const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

export interface DicomJsonOptions {
  /** Binary values up to this size are sent as InlineBinary; larger ones are omitted… */
  inlineBinaryMaxBytes?: number;
  /** …or, with this, referenced as BulkDataURI (the path is `TAG[/ITEM/TAG…]`, items 1-based). */
  bulkDataUri?: (path: string) => string;
  /** Only these top-level tags (all when absent). */
  only?: readonly string[];
}

export function toDicomJson(dataset: DicomDataset, options: DicomJsonOptions = {}, parentPath = ''): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  const tags = options.only ? options.only.filter((tag) => tag in dataset) : Object.keys(dataset);
  for (const tag of tags.map((t) => t.toUpperCase()).sort()) {
    const element = dataset[tag] ?? dataset[tag.toLowerCase()];
    if (!element || tag.startsWith('0002')) continue;
    const attribute = toAttribute(element, options, parentPath + tag);
    if (attribute) out[tag] = attribute;
  }
  return out;
}

function toAttribute(element: DicomElement, options: DicomJsonOptions, path: string): DicomJsonAttribute | undefined {
  const vr = element.vr;
  const values = element.Value ?? [];
  if (vr === 'SQ') {
    const { only: _only, ...nested } = options;
    const items = values.map((item, index) => toDicomJson(item as DicomDataset, nested, `${path}/${index + 1}/`));
    return items.length ? { vr, Value: items } : { vr };
  }
  if (BINARY_VRS.has(vr)) {
    const bytes = binaryLength(values);
    if (bytes === 0) return { vr };
    if (bytes > (options.inlineBinaryMaxBytes ?? 0)) return options.bulkDataUri ? { vr, BulkDataURI: options.bulkDataUri(path) } : undefined;
    return { vr, InlineBinary: Buffer.concat(values.map(toBuffer)).toString('base64') };
  }
  const cleaned = values.map((value) => cleanValue(vr, value));
  if (cleaned.every((value) => value === null)) return { vr };
  return { vr, Value: cleaned };
}

function cleanValue(vr: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return null;
  if (vr === 'PN') {
    const name = typeof value === 'string' ? { Alphabetic: value } : (value as Record<string, string | undefined>);
    const groups = Object.fromEntries(Object.entries(name).filter(([, part]) => part !== undefined && part !== ''));
    return Object.keys(groups).length ? groups : null;
  }
  if (typeof value === 'string') return value.replace(/[\0 ]+$/, '') || null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

function binaryLength(values: unknown[]): number {
  return values.reduce<number>((sum, value) => sum + toBuffer(value).length, 0);
}

function toBuffer(value: unknown): Buffer {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.alloc(0);
}

/** The first value of an attribute as a string ('' when absent); PN gives its Alphabetic group. */
export function firstString(dataset: DicomJsonDataset, tag: string): string {
  const value = dataset[tag]?.Value?.[0];
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return String((value as { Alphabetic?: string }).Alphabetic ?? '');
  return String(value);
}

/** A subset of a dataset's top-level attributes, in tag order. */
export function pick(dataset: DicomJsonDataset, tags: readonly string[]): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const tag of [...tags].sort()) if (dataset[tag]) out[tag] = dataset[tag];
  return out;
}

/** A PN value's component groups (Alphabetic=Ideographic=Phonetic) as one text, as PS3.5 6.2 writes them. */
export function personNameText(dataset: DicomJsonDataset, tag: string): string {
  const value = dataset[tag]?.Value?.[0];
  return value && typeof value === 'object' ? Object.values(value as Record<string, string>).join('=') : '';
}
