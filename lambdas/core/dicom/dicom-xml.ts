/**
 * The Native DICOM Model (PS3.19 Annex A) for responses a client asks for as
 * application/dicom+xml (the STOW-RS Store Instances Response).
 */
import { lookupAttribute } from './dictionary.ts';
import type { DicomJsonDataset } from './dicom-json.ts';

const escape = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function toNativeDicomModel(dataset: DicomJsonDataset): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">${attributes(dataset)}</NativeDicomModel>\n`;
}

function attributes(dataset: DicomJsonDataset): string {
  return Object.keys(dataset)
    .sort()
    .map((tag) => {
      const attribute = dataset[tag]!;
      const keyword = lookupAttribute(tag)?.keyword;
      const open = `<DicomAttribute tag="${tag}" vr="${attribute.vr}"${keyword && keyword !== tag ? ` keyword="${keyword}"` : ''}>`;
      const values = (attribute.Value ?? [])
        .map((value, i) => {
          if (attribute.vr === 'SQ') return `<Item number="${i + 1}">${attributes(value as DicomJsonDataset)}</Item>`;
          if (attribute.vr === 'PN' && value && typeof value === 'object') {
            const groups = Object.entries(value as Record<string, string>).map(([group, name]) => `<${group}>${personName(name)}</${group}>`);
            return `<PersonName number="${i + 1}">${groups.join('')}</PersonName>`;
          }
          return value === null ? `<Value number="${i + 1}"/>` : `<Value number="${i + 1}">${escape(String(value))}</Value>`;
        })
        .join('');
      const bulk = attribute.BulkDataURI ? `<BulkData uri="${escape(attribute.BulkDataURI)}"/>` : attribute.InlineBinary ? `<InlineBinary>${attribute.InlineBinary}</InlineBinary>` : '';
      return `${open}${values}${bulk}</DicomAttribute>`;
    })
    .join('');
}

const NAME_PARTS = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'];

function personName(name: string): string {
  return name
    .split('^')
    .map((part, i) => (part && NAME_PARTS[i] ? `<${NAME_PARTS[i]}>${escape(part)}</${NAME_PARTS[i]}>` : ''))
    .join('');
}
