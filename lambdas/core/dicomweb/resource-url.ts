/**
 * The one builder of DICOMweb resource URLs (RetrieveURL, Content-Location, BulkDataURI bases):
 * `<service>/studies/{study}[/series/{series}[/instances/{sop}]]` (PS3.18 10.4.1).
 */
export interface ResourcePath {
  study: string;
  series?: string | undefined;
  sop?: string | undefined;
}

export function resourceUrl(serviceUrl: string, { study, series, sop }: ResourcePath): string {
  const seriesPart = series === undefined ? '' : `/series/${series}`;
  const instancePart = series === undefined || sop === undefined ? '' : `/instances/${sop}`;
  return `${serviceUrl}/studies/${study}${seriesPart}${instancePart}`;
}
