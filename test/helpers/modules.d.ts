// Test-only packages without type declarations.
declare module 'xhr2' {
  const XMLHttpRequest: unknown;
  export default XMLHttpRequest;
}
declare module 'dicomweb-client' {
  export const api: {
    DICOMwebClient: new (options: { url: string; headers?: Record<string, string> }) => Record<string, (options: Record<string, unknown>) => Promise<unknown>>;
  };
}
