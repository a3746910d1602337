/**
 * The one question disposition asks of legal holds: which holds cover these studies now?
 * A narrow port so the legal-hold service can answer it however it stores holds; the
 * index-based answer is adapters/disposition/index-holds.ts (the `holdIds` attribute of the
 * `LEGAL_HOLDS` item in each study's partition, core/index-keys.ts).
 */
export interface HoldsPort {
  /** Hold ids per study; a study without holds is absent from the map (or maps to []). */
  holdsOn(tenant: string, studies: readonly string[]): Promise<Map<string, string[]>>;
}
