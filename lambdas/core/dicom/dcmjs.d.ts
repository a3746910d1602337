// dcmjs ships no type declarations; this covers what Strata uses.
declare module 'dcmjs' {
  export interface DicomElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DicomDataset = Record<string, DicomElement>;
  export class DicomDict {
    constructor(meta: DicomDataset);
    meta: DicomDataset;
    dict: DicomDataset;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }
  export const data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict };
    DicomMetaDictionary: {
      dictionary: Record<string, { tag: string; vr: string; name: string }>;
      nameMap: Record<string, { tag: string; vr: string; name: string }>;
      naturalizeDataset(dataset: DicomDataset): Record<string, unknown>;
    };
    DicomDict: typeof DicomDict;
  };
  export const log: { setLevel(level: string): void; getLogger(name: string): { setLevel(level: string): void } };
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}
