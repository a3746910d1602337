/**
 * Strata's error classes. Core code throws these; one edge middleware
 * (lambdas/middleware/http-handler.ts) maps them to HTTP statuses and, for STOW-RS, the
 * DICOM FailureReason of PS3.18 Annex I (dicomweb/status-codes.ts). Unknown errors become
 * a 500 with a request id and no internals.
 */
import { FailureReason } from './dicomweb/status-codes.ts';

export interface StrataErrorOptions {
  cause?: unknown;
  /** DICOM failure reason (US), e.g. 0xC000 cannot understand, 0xA900 mismatch. */
  failureReason?: number;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
  /** Extra fields of the JSON error body, e.g. the restore a 503 started. */
  details?: Record<string, unknown>;
}

export class StrataError extends Error {
  readonly code: string = 'StrataError';
  readonly statusCode: number = 500;
  readonly failureReason: number | undefined;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.failureReason = options.failureReason;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

/** The request is malformed (bad multipart, bad query syntax). */
export class BadRequestError extends StrataError {
  override readonly code = 'BadRequest';
  override readonly statusCode = 400;
}

/** No valid credentials: no token, or one the verifier refused (API Gateway answers these itself). */
export class UnauthorizedError extends StrataError {
  override readonly code = 'Unauthorized';
  override readonly statusCode = 401;
}

/** Valid credentials that do not allow this request (no tenant, a tenant it may not name). */
export class ForbiddenError extends StrataError {
  override readonly code = 'Forbidden';
  override readonly statusCode = 403;
}

export class NotFoundError extends StrataError {
  override readonly code = 'NotFound';
  override readonly statusCode = 404;
}

/** The resource existed and was deleted (a tombstone remains). */
export class GoneError extends StrataError {
  override readonly code = 'Gone';
  override readonly statusCode = 410;
}

/** No representation the client accepts can be produced. */
export class NotAcceptableError extends StrataError {
  override readonly code = 'NotAcceptable';
  override readonly statusCode = 406;
}

export class ConflictError extends StrataError {
  override readonly code = 'Conflict';
  override readonly statusCode = 409;
}

export class PayloadTooLargeError extends StrataError {
  override readonly code = 'PayloadTooLarge';
  override readonly statusCode = 413;
}

export class UnsupportedMediaTypeError extends StrataError {
  override readonly code = 'UnsupportedMediaType';
  override readonly statusCode = 415;
}

/** A resource of the standard that Strata does not offer yet (documented in the README). */
export class NotImplementedError extends StrataError {
  override readonly code = 'NotImplemented';
  override readonly statusCode = 501;
}

/** The bytes are in a cold tier and must be restored first. */
export class NotYetAvailableError extends StrataError {
  override readonly code = 'NotYetAvailable';
  override readonly statusCode = 503;
}

/** Storage failed or throttled after the SDK's retries; the client may retry (Retry-After). */
export class StorageUnavailableError extends StrataError {
  override readonly code = 'StorageUnavailable';
  override readonly statusCode = 503;
}

/** A dataset could not be parsed (PS3.18 failure reason 0xC000 family). */
export class DicomParseError extends StrataError {
  override readonly code = 'DicomParseError';
  override readonly statusCode = 400;
  constructor(message: string, options: StrataErrorOptions = {}) {
    super(message, { failureReason: FailureReason.CannotUnderstand, ...options });
  }
}

/** The deployment is wrong, not the request. */
export class ConfigurationError extends StrataError {
  override readonly code = 'ConfigurationError';
}
