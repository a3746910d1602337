/**
 * The DICOM status codes a Store Instances Response carries, in one table to audit against
 * PS3.18 Annex I (Tables I.2-1 and I.2-2) and PS3.4 Table B.2-1.
 */

/** (0008,1197) Failure Reason: the instance was not stored. */
export const FailureReason = {
  /** Storage or indexing failed on the archive's side. */
  ProcessingFailure: 0x0110,
  /** Not a storage SOP class (e.g. a DICOMDIR). */
  SopClassNotSupported: 0x0122,
  /** Throttled: try again. */
  OutOfResources: 0xa700,
  /** A missing or invalid identifying UID, or a value the index cannot hold. */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Azure's DICOM service and Strata: the study UID differs from the one in the URL. */
  StudyInstanceUidMismatch: 0xa901,
  /** Not a whole, well-formed Part 10 object. */
  CannotUnderstand: 0xc000,
  TransferSyntaxNotSupported: 0xc122,
} as const;

/** (0008,1196) Warning Reason: the instance was stored, and here is what to know. */
export const WarningReason = {
  /** Stored intact, but some elements could not be read into the index and metadata. */
  ElementsDiscarded: 0xb006,
  /** Stored, though it does not quite match its SOP class or its file meta. */
  DataSetDoesNotMatchSopClass: 0xb007,
  /**
   * The SOP Instance UID existed with other bytes; both are kept (docs/decisions/0002). 45070,
   * "instance already exists", the code Azure's DICOM service uses.
   */
  NewVersionOfExistingInstance: 0xb00e,
} as const;
