// Test-only packages without type declarations.
declare module 'xhr2' {
  const XMLHttpRequest: unknown;
  export default XMLHttpRequest;
}
declare module 'dicomweb-client' {
  type Call = (options: Record<string, unknown>) => Promise<unknown>;
  interface DICOMwebClient {
    storeInstances: Call;
    searchForStudies: Call;
    searchForSeries: Call;
    searchForInstances: Call;
    retrieveInstance: Call;
    retrieveSeries: Call;
    retrieveStudyMetadata: Call;
  }
  export const api: { DICOMwebClient: new (options: { url: string; headers?: Record<string, string> }) => DICOMwebClient };
}
