/**
 * The HTTP `Warning` header (RFC 7234 §5.5, code 299) that STOW-RS and QIDO-RS use for
 * human-readable detail. Clients and proxies cap header sizes (8–64 KB), so the header is
 * bounded: the first warnings, each shortened, then a count of the rest. The response body
 * keeps the complete, per-instance account (WarningReason/FailureReason).
 */
export const MAX_WARNING_HEADER_BYTES = 4096;
const MAX_WARNING_TEXT = 300;

export function warningHeader(warnings: readonly string[], maxBytes = MAX_WARNING_HEADER_BYTES): string | undefined {
  if (warnings.length === 0) return undefined;
  const entry = (text: string) => {
    const clean = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'");
    return `299 strata: "${clean.length > MAX_WARNING_TEXT ? `${clean.slice(0, MAX_WARNING_TEXT - 3)}...` : clean}"`;
  };
  const entries: string[] = [];
  let size = 0;
  for (const [i, warning] of warnings.entries()) {
    const next = entry(warning);
    const rest = warnings.length - i - 1;
    // Room for this entry and, if others follow, for the summary of what is left out.
    const reserve = rest > 0 ? entry(`and ${warnings.length} more warnings (the response body has each instance's status)`).length + 2 : 0;
    if (size + next.length + 2 + reserve > maxBytes) {
      entries.push(entry(`and ${warnings.length - i} more warnings (the response body has each instance's status)`));
      break;
    }
    entries.push(next);
    size += next.length + 2;
  }
  return entries.join(', ');
}
