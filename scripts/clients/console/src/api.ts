/**
 * The API as the console reads it: same origin (the page is served under `<api>/console/`), every
 * request with `Authorization: Bearer <token>`.
 */
export type { CostLines, DispositionRun, OpexReport, OpexRow, ProjectedYear, Projection, ProjectionAnswer } from './shapes.ts';

/** An answer other than 2xx, with the API's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The API's base URL: the folder above the page's (`…/console/` → `…/`). */
export const apiBase = (): string => new URL('../', document.baseURI).href;

export async function getJson<T>(token: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(new URL(path, apiBase()), {
    ...init,
    headers: { Accept: 'application/json', Authorization: `Bearer ${token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
    cache: 'no-store',
  });
  if (!response.ok) {
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: the text as it came
    }
    throw new ApiError(response.status, `${response.status} ${message}`.trim());
  }
  return (await response.json()) as T;
}
