/**
 * What a client is told when something failed on our side: the storage is full, the chunk backend or
 * the libSQL server cannot be reached (ServiceUnavailable, try later: the provider's downtime, never the
 * customer's), or anything else (InternalError). The cause is reported to the operator, never sent.
 * A client's own mistake is already an S3Error and passes through unchanged.
 */
import {
  ChunkBackendUnavailableError,
  ChunkCorruptError,
  ChunkMissingError,
  StoreFullError,
} from './block/store.ts';
import { S3Error, isS3Error } from './errors.ts';

export type ReportError = (message: string, error: unknown) => void;

/** `where`: the request, for the report (`GET /bucket/key (request ID)`). */
export function failureOf(err: unknown, report: ReportError, where: string): S3Error {
  if (isS3Error(err)) return err;
  if (err instanceof StoreFullError) {
    report(`qoima: storage full: ${err.message}`, err);
    return new S3Error(
      'ServiceUnavailable',
      'The service is out of storage space right now; try again later.',
    );
  }
  if (err instanceof ChunkBackendUnavailableError) {
    report(`qoima: chunk backend unavailable: ${err.message}`, err);
    return new S3Error(
      'ServiceUnavailable',
      'The storage backend is unavailable right now; try again shortly.',
      {
        headers: { 'retry-after': String(err.retryAfterSeconds) },
      },
    );
  }
  if (unreachable(err)) {
    report(`qoima: a backend did not answer on ${where}`, err);
    return new S3Error('ServiceUnavailable', 'A backend of the service did not answer; try again.', {
      headers: { 'retry-after': '1' },
    });
  }
  if (err instanceof ChunkCorruptError || err instanceof ChunkMissingError)
    report(`qoima: data integrity: ${err.message}`, err);
  else report(`qoima: internal error on ${where}`, err);
  return new S3Error('InternalError');
}

/**
 * A network failure of `fetch`: the Fetch standard rejects with a TypeError, and Node's and Deno's carry
 * the socket's own error as its `cause` (a TypeError of ours, a bug, has none). The libSQL client lets
 * these through as they are: the server was down, or closed a kept-alive connection as it was reused.
 */
function unreachable(err: unknown): boolean {
  return err instanceof TypeError && err.cause !== undefined;
}
