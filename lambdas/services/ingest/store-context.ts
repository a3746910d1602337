/** What a STOW-RS request stores into, whichever way its bytes arrive (Lambda or data plane). */
export interface StoreContext {
  tenant: string;
  /** The study UID of `POST /studies/{study}`, which every instance must belong to. */
  studyInUrl: string | undefined;
  /** e.g. https://pacs.example.org/dicom-web */
  serviceUrl: string;
  now: Date;
  /**
   * Parts up to this size are held whole and stored with one PutObject; larger ones stream to
   * S3 with their header read from these first bytes. Tests lower it to stream small fixtures.
   */
  spoolBytes?: number;
}
