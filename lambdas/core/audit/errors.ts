import { StrataError } from '#core/errors.ts';

/** The trail could not take a record: a request that would disclose data unrecorded is refused. */
export class AuditUnavailableError extends StrataError {
  override readonly code = 'AuditUnavailable';
  override readonly statusCode = 503;
}
