/**
 * The signed-in token: kept in sessionStorage (this tab only, gone when it closes), never in
 * localStorage or a cookie. Its claims are read for display only; the API verifies the token.
 */
const KEY = 'strata.console.token';

export interface Claims {
  tenant?: string;
  scopes: string[];
  clientId?: string;
  expiresAt?: Date;
}

export const savedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;
export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);

/** A pasted token as sent: `Bearer ` and whitespace (from a terminal's line wrapping) removed. */
export function normalizeToken(pasted: string): string {
  return pasted.replace(/^\s*Bearer\s+/i, '').replace(/\s+/g, '');
}

/** The payload of a JWT, unverified (display only); undefined when it is not one. */
export function claimsOf(token: string): Claims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const scopes = typeof json.scope === 'string' ? json.scope.split(' ').map((s) => s.slice(s.indexOf('/') + 1)) : [];
    return {
      scopes,
      ...(typeof json.tenant === 'string' ? { tenant: json.tenant } : {}),
      ...(typeof json.client_id === 'string' ? { clientId: json.client_id } : {}),
      ...(typeof json.exp === 'number' ? { expiresAt: new Date(json.exp * 1000) } : {}),
    };
  } catch {
    return undefined;
  }
}
