/**
 * What a QIDO-RS response carries per match (PS3.18 10.6.3.3, Tables 10.6.3-3/4/5): the
 * default attributes of the level (Type 2 ones sent empty when unknown), the matching keys,
 * the requested includefields (or everything the index keeps, for `all`).
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { lookupAttribute } from '#core/dicom/dictionary.ts';
import type { Level } from './query-plan.ts';
import type { QidoQuery } from './query-params.ts';
import { isStrataPrivateTag, PRIVATE_CREATOR_TAG, withoutPrivateAttributes } from './private-attributes.ts';

const COMMON = ['00080005', '00080201', '00081190'];

export const DEFAULT_ATTRIBUTES: Record<Level, string[]> = {
  study: [
    ...COMMON,
    '00080020', '00080030', '00080050', '00080056', '00080061', '00080090', '00081030',
    '00100010', '00100020', '00100030', '00100040', '0020000D', '00200010', '00201206', '00201208',
  ],
  series: [...COMMON, '00080060', '0008103E', '0020000E', '00200011', '00201209', '00400244', '00400245', '00400275'],
  instance: [...COMMON, '00080016', '00080018', '00080056', '00200013', '00280008', '00280010', '00280011', '00280100'],
};

/** Attributes returned for a match, in tag order; `levels` lists whose defaults apply (e.g. study+series for /series). */
export function responseDataset(view: DicomJsonDataset, levels: Level[], query: QidoQuery): DicomJsonDataset {
  const privateTags = query.includeFields.filter(isStrataPrivateTag);
  // A private attribute travels with its Private Creator, and only when asked for by tag.
  const privates: DicomJsonDataset = {};
  for (const tag of privateTags) if (view[tag]) Object.assign(privates, { [PRIVATE_CREATOR_TAG]: view[PRIVATE_CREATOR_TAG], [tag]: view[tag] });
  if (query.includeAll) return sortTags({ ...withoutPrivateAttributes(view), ...privates });
  const wanted = new Set<string>([...levels.flatMap((level) => DEFAULT_ATTRIBUTES[level]), ...query.includeFields.filter((tag) => !isStrataPrivateTag(tag))]);
  for (const filter of query.filters) wanted.add(filter.tag);
  const out: DicomJsonDataset = { ...privates };
  for (const tag of wanted) {
    const attribute = view[tag];
    if (attribute) out[tag] = attribute;
    else if (tag !== '00080005' && tag !== '00080201') out[tag] = { vr: lookupAttribute(tag)?.vr ?? 'UN' };
  }
  return sortTags(out);
}

function sortTags(dataset: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(dataset).sort(([a], [b]) => a.localeCompare(b)));
}
