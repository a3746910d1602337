import { describe, expect, it } from 'vitest';
import { deletionCursor, finalStatus, isStalled, STALLED_AFTER_MS } from '#core/deletion/deletion.ts';

describe('deletion records', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it('counts a deletion as stalled once its progress has not moved for longer than any request or workflow step runs', () => {
    expect(STALLED_AFTER_MS).toBeGreaterThan(300_000); // a workflow step's 5 minutes
    expect(isStalled({ status: 'DELETING', updatedAt: ago(STALLED_AFTER_MS) }, now)).toBe(true);
    expect(isStalled({ status: 'DELETING', updatedAt: ago(STALLED_AFTER_MS - 1) }, now)).toBe(false);
    expect(isStalled({ status: 'DELETING', updatedAt: ago(29_000) }, now)).toBe(false);
  });

  it('never resumes a finished deletion whose completion is audited', () => {
    expect(isStalled({ status: 'COMPLETED', updatedAt: ago(10 * STALLED_AFTER_MS) }, now)).toBe(false);
    expect(isStalled({ status: 'PARTLY_KEPT', updatedAt: ago(10 * STALLED_AFTER_MS) }, now)).toBe(false);
  });

  it('resumes a finished deletion whose audit record a crash kept from being written', () => {
    expect(isStalled({ status: 'COMPLETED', auditPending: true, updatedAt: ago(STALLED_AFTER_MS) }, now)).toBe(true);
    expect(isStalled({ status: 'COMPLETED', auditPending: true, updatedAt: ago(29_000) }, now)).toBe(false);
  });

  it('orders instances by series, then SOP, so the last one handled is a cursor', () => {
    const ids = [
      { series: '1.2.3', sop: '1.2.3.10' },
      { series: '1.2', sop: '1.2.9' },
      { series: '1.2.3', sop: '1.2.3.9' },
    ];
    const sorted = [...ids].sort((a, b) => (deletionCursor(a) < deletionCursor(b) ? -1 : 1));
    expect(sorted.map(deletionCursor)).toEqual(['1.2#1.2.9', '1.2.3#1.2.3.10', '1.2.3#1.2.3.9']);
    // Everything after a cursor is what a resumed step still has to do.
    expect(sorted.filter((id) => deletionCursor(id) > '1.2.3#1.2.3.10').map((id) => id.sop)).toEqual(['1.2.3.9']);
  });

  it('reports a deletion that retention partly refused as PARTLY_KEPT', () => {
    expect(finalStatus({ deleted: 3, kept: 0, countsDrifted: false })).toBe('COMPLETED');
    expect(finalStatus({ deleted: 3, kept: 1, countsDrifted: false })).toBe('PARTLY_KEPT');
  });
});
