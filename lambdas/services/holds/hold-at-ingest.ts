/**
 * Studies that arrive after a hold for a held patient (or accession, or study) are held at
 * ingest: the stored object gets S3's legal hold, the instance is recorded with its covering
 * holds, and a new study joins the hold (its registration, the hold's study list and patients),
 * so DELETE refuses it at once and releasing the hold lets it go with the rest. The object is
 * counted into the hold's progress once (countHeldObject: a duplicate push counts nothing).
 */
import { Tag } from '#core/dicom/tags.ts';
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { registrationsOf } from '#core/holds/hold.ts';
import { countHeldObject, instanceHolds, joinHold, registeredHolds, setRegistration } from '#adapters/holds/hold-store.ts';
import { holdCurrentVersion } from '#adapters/holds/object-holds.ts';
import { recordHoldInLedger } from './hold-ledger.ts';

const ISSUER_OF_PATIENT_ID = '00100021';

/** Answers and registrations already made for one STOW request (keyed by its context object). */
const perRequest = new WeakMap<object, Map<string, Promise<unknown>>>();

function once<T>(request: object, key: string, work: () => Promise<T>): Promise<T> {
  const done = perRequest.get(request) ?? new Map<string, Promise<unknown>>();
  perRequest.set(request, done);
  if (!done.has(key)) done.set(key, work());
  return done.get(key) as Promise<T>;
}

/**
 * The holds covering an arriving instance: one BatchGetItem of its study, patient and
 * accession registrations, asked once per request for each combination.
 */
export function holdsAtIngest(tenant: string, study: string, dataset: DicomJsonDataset, request: object): Promise<string[]> {
  const arriving = {
    study,
    patientId: firstString(dataset, Tag.PatientID),
    issuer: firstString(dataset, ISSUER_OF_PATIENT_ID),
    accession: firstString(dataset, Tag.AccessionNumber),
  };
  return once(request, JSON.stringify(['holds', tenant, arriving]), async () => {
    const found = await registeredHolds(registrationsOf(tenant, arriving));
    return [...new Set([...found.values()].flat())].sort();
  });
}

/**
 * Holds the stored object, registers its study under each hold (once per request; idempotent)
 * and counts the object into each hold: as an instance unless the instance was held already
 * (this is a new version of it), with its bytes and the one version just locked.
 */
export async function holdArrival(id: InstanceIdentity, dataset: DicomJsonDataset, objectKey: string, size: number, holds: string[], request: object): Promise<void> {
  const { tenant, study } = id;
  await holdCurrentVersion(objectKey);
  await once(request, JSON.stringify(['register', tenant, study, holds]), async () => {
    for (const holdId of holds) {
      await setRegistration(Keys.heldStudy(tenant, study), holdId, true);
      await joinHold(tenant, holdId, { study, patientId: firstString(dataset, Tag.PatientID) });
    }
  });
  const heldBefore = await instanceHolds(id);
  for (const holdId of holds) {
    // Counted for the first time: the hold's listing changed, and so does its ledger record.
    if (await countHeldObject(tenant, holdId, objectKey, { instances: heldBefore.includes(holdId) ? 0 : 1, bytes: size, objectVersions: 1 })) await recordHoldInLedger(tenant, holdId);
  }
}
