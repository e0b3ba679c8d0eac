/** POST Object: a browser upload form (multipart/form-data) authorised by its signed policy. */
import { type Credential, checkKeyTimes } from '../../auth/authenticate.ts';
import { allows } from '../../auth/scopes.ts';
import { S3Error } from '../../errors.ts';
import { commitObject } from '../../model/objects.ts';
import { document, leaf } from '../../xml.ts';
import { BodyDigests, incomingBody } from '../../http/body.ts';
import type { BucketCall } from '../call.ts';
import { boundaryOf, readForm } from '../form-data.ts';
import { formHeaders, objectHeadersFrom, quoteEtag } from '../headers.ts';
import { ingest, orUndo } from '../ingest.ts';
import { verifyPostPolicy } from '../../auth/post-policy.ts';
import { unsupportedFeature } from '../operations.ts';
import { MAX_KEY_BYTES, checkNewKey } from '../target.ts';
import { type WriteDeps, checkAcl, checkStorageClass, reserveFor } from './write.ts';

export interface PostObjectDeps extends WriteDeps {
  region: string;
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  sigv2?: boolean;
}

/**
 * Where success_action_redirect sends the browser, with bucket, key and ETag added; null when the
 * field is not an http(s) URL, which S3 treats as if the field were absent. (Parsed, the URL is
 * ASCII: text beyond it is percent-encoded, so it can always be a Location header.)
 */
function successUrl(redirect: string, bucket: string, key: string, etag: string): string | null {
  let url: URL;
  try {
    url = new URL(redirect);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const fragment = url.hash;
  url.hash = '';
  const base = url.href;
  const q = `bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(quoteEtag(etag))}`;
  return `${base}${base.includes('?') ? '&' : '?'}${q}${fragment}`;
}

export function postObjectHandlers(deps: PostObjectDeps) {
  return {
    async PostObject(call: BucketCall): Promise<Response> {
      const boundary = boundaryOf(call.headers.get('content-type'));
      const length = call.headers.get('content-length');
      const raw = incomingBody(
        call.body,
        new Headers(length === null ? {} : { 'content-length': length }),
        { kind: 'none' },
        deps.digests,
      );
      const form = await readForm(raw.chunks, boundary);
      if (!form.file) throw new S3Error('IncorrectNumberOfFilesInPostRequest');
      const { fields, file } = form;
      const policy = await verifyPostPolicy(fields, call.bucket.name, {
        digests: deps.digests,
        region: deps.region,
        lookup: deps.lookupCredential,
        sigv2: deps.sigv2 ?? true,
      });
      if (policy.credential.accountId !== call.bucket.accountId) throw new S3Error('AccessDenied');
      checkKeyTimes(policy.credential, Date.now());

      const keyField = fields.get('key');
      if (!keyField)
        throw new S3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.", {
          fields: { ArgumentName: 'key' },
        });
      const filename = file.filename.split(/[\\/]/).pop() ?? '';
      // measured before it is built: a 20 KB key field of ${filename}s times an 8 KB name is megabytes
      // (UTF-16 units never outnumber UTF-8 bytes, so a key longer in units is too long in bytes)
      const pieces = keyField.split('${filename}');
      const projected = keyField.length + (pieces.length - 1) * (filename.length - '${filename}'.length);
      if (projected > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
      const key = pieces.join(filename);
      if (!key || new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
      checkNewKey(key);
      if (!allows(policy.credential.scopes, 'write', call.bucket.name, key)) {
        throw new S3Error(
          'AccessDenied',
          `Access Denied: the key that signed this form may not write s3://${call.bucket.name}/${key}.`,
        );
      }
      // the form is the owner's from here: refusals before this point are the sender's address's
      await call.admit();

      for (const [name, value] of fields) {
        const refusal = unsupportedFeature(name, value);
        if (refusal) throw refusal;
      }
      const asHeaders = formHeaders(fields, file.contentType);
      checkStorageClass(asHeaders, call.bucket);
      checkAcl(fields.get('acl') ?? null, call.bucket);
      const headers = objectHeadersFrom(asHeaders);

      // the file may be as large as the server, the policy and the account allow; it is kept only as far
      // as its reservation grows, which starts at the form's length (a bound on the file) when sent
      const max = Math.min(deps.limits.maxSize, policy.lengthRange?.max ?? Infinity);
      const declared = length === null ? 0 : Number(length);
      const { maxObjectSize } = await deps.accountLimits.limits(call.bucket.accountId);
      const reserved = await reserveFor(deps, call.bucket, Math.min(declared, max, maxObjectSize), max);
      const obj = await orUndo(reserved.release, async () => {
        const incoming = { chunks: file.body, length: null, trailers: new Map<string, string>() };
        const digests = new BodyDigests(new Headers(), deps.digests);
        const limits = { ...deps.limits, maxSize: max };
        const body = await ingest(deps, incoming, digests, limits, reserved.reservation).catch(
          (e: unknown) => {
            // refused while the file was still arriving: close the connection rather than read the rest
            const close = { headers: { connection: 'close' } };
            if (e instanceof S3Error && e.code === 'EntityTooLarge') {
              const message = `Your proposed upload exceeds the maximum allowed size of ${max} bytes.`;
              throw new S3Error('EntityTooLarge', message, close);
            }
            if (e instanceof S3Error && e.code === 'QuotaExceeded')
              throw new S3Error(e.code, e.message, close);
            throw e;
          },
        );
        return orUndo(body.abort, async () => {
          if (policy.lengthRange && body.size < policy.lengthRange.min) {
            throw new S3Error(
              'EntityTooSmall',
              `Your proposed upload is smaller than the minimum allowed size of ${policy.lengthRange.min} bytes.`,
            );
          }
          return commitObject(deps.db, {
            bucketId: call.bucket.id,
            key,
            headers,
            facts: {
              size: body.size,
              etag: body.md5Hex,
              checksumAlgorithm: null,
              checksumValue: null,
              checksumType: null,
              partsCount: null,
            },
            body: body.body,
            quota: reserved.quota,
          });
        });
      });

      // the object's URL as the browser reached us: same scheme, same host, same addressing style
      const host = call.headers.get('host') ?? 'localhost';
      const path = key.split('/').map(encodeURIComponent).join('/');
      const location = `${call.protocol}://${host}${call.target.style === 'path' ? `/${encodeURIComponent(call.bucket.name)}` : ''}/${path}`;
      const out = new Headers({ etag: quoteEtag(obj.etag), location, 'x-qoima-object-id': obj.id });
      const asked = fields.get('success_action_redirect') ?? fields.get('redirect') ?? '';
      const redirect = successUrl(asked, call.bucket.name, key, obj.etag);
      if (redirect) {
        out.set('location', redirect);
        return new Response(null, { status: 303, headers: out });
      }
      const status = fields.get('success_action_status');
      if (status === '201') {
        out.set('content-type', 'application/xml');
        const xml = document(
          'PostResponse',
          leaf('Location', location),
          leaf('Bucket', call.bucket.name),
          leaf('Key', key),
          leaf('ETag', quoteEtag(obj.etag)),
        );
        return new Response(xml, { status: 201, headers: out });
      }
      return new Response(null, { status: status === '200' ? 200 : 204, headers: out });
    },
  };
}
