/** Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation/Versioning. */
import type { Outgoing } from '../../http/reply.ts';
import type { Db } from '../../db/index.ts';
import { type Digests, fromBase64Url, toBase64Url, utf8 } from '../../digests.ts';
import { S3Error, isS3Error } from '../../errors.ts';
import {
  createBucket,
  deleteBucket,
  findBucket,
  listBuckets,
  parseAccessType,
  parseStorageClass,
} from '../../model/buckets.ts';
import { parseCannedAcl } from '../policy.ts';
import { document, leaf, node, parseXml, text } from '../../xml.ts';
import { incomingBody, readSmallBody } from '../../http/body.ts';
import { mentionsBucket } from '../../auth/scopes.ts';
import { accountOf } from '../../auth/grants.ts';
import type { AccountLimits } from '../../model/fair-use.ts';
import type { HostConfig } from '../hosts.ts';
import { type BucketCall, type S3Call, queryParam, xmlResponse } from '../call.ts';
import { isoDate } from '../headers.ts';

export interface BucketDeps {
  db: Db;
  region: string;
  digests: Digests;
  accountLimits: AccountLimits;
  hosts: Pick<HostConfig, 'forgetDomain'>;
}

const MAX_BUCKETS_PAGE = 10_000;

function owner(accountId: string): string {
  return node('Owner', leaf('ID', accountId), leaf('DisplayName', accountId));
}

export function bucketHandlers(deps: BucketDeps) {
  return {
    async ListBuckets(call: S3Call): Promise<Outgoing> {
      const maxText = queryParam(call, 'max-buckets');
      const max = maxText === undefined ? MAX_BUCKETS_PAGE : Number(maxText);
      if (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS_PAGE) {
        throw new S3Error(
          'InvalidArgument',
          `max-buckets must be an integer from 1 to ${MAX_BUCKETS_PAGE}.`,
          { fields: { ArgumentName: 'max-buckets' } },
        );
      }
      const token = queryParam(call, 'continuation-token');
      const after = token ? new TextDecoder().decode(fromBase64Url(token) ?? new Uint8Array()) : undefined;
      const prefix = queryParam(call, 'prefix');
      const principal = accountOf(call);
      const rows = (
        await listBuckets(deps.db, principal.accountId, { prefix, after, limit: max + 1 })
      ).filter((b) => mentionsBucket(principal.scopes, b.name));
      const page = rows.slice(0, max);
      const next = rows.length > max ? toBase64Url(utf8(page[page.length - 1]!.name)) : undefined;
      return xmlResponse(
        document(
          'ListAllMyBucketsResult',
          owner(accountOf(call).accountId),
          node(
            'Buckets',
            ...page.map((b) =>
              node(
                'Bucket',
                leaf('Name', b.name),
                leaf('CreationDate', isoDate(b.createdAt)),
                leaf('BucketRegion', deps.region),
              ),
            ),
          ),
          leaf('ContinuationToken', next),
          leaf('Prefix', prefix),
        ),
      );
    },

    async CreateBucket(call: S3Call): Promise<Outgoing> {
      const name = call.target.bucket!;
      const body = await readSmallBody(
        incomingBody(call.body, call.headers, call.auth.payload, deps.digests),
        64 * 1024,
      );
      if (body.length) {
        const doc = parseXml(new TextDecoder().decode(body));
        const location = text(doc['CreateBucketConfiguration'], 'LocationConstraint');
        if (location && location !== deps.region) {
          throw new S3Error(
            'IllegalLocationConstraintException',
            `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to (${deps.region}).`,
          );
        }
      }
      const acl = call.headers.get('x-amz-acl');
      const accessType =
        parseAccessType(call.headers.get('x-qoima-access-type')) ?? (acl ? parseCannedAcl(acl) : 'private');
      const storageClass = parseStorageClass(call.headers.get('x-qoima-storage-class'));
      const accountId = accountOf(call).accountId;
      const { maxBuckets } = await deps.accountLimits.limits(accountId);
      await createBucket(deps.db, { accountId, name, storageClass, accessType, maxBuckets }).catch(
        async (e: unknown) => {
          // S3's legacy rule: in us-east-1, creating a bucket you already own succeeds again (as long as
          // it asks for the bucket as it is: another storage class stays a refusal)
          const again =
            isS3Error(e) &&
            e.code === 'BucketAlreadyOwnedByYou' &&
            deps.region === 'us-east-1' &&
            (await findBucket(deps.db, name))?.storageClass === storageClass;
          if (!again) throw e;
        },
      );
      return new Response(null, {
        status: 200,
        headers: { location: `/${name}`, 'x-qoima-storage-class': storageClass },
      });
    },

    async HeadBucket(call: BucketCall): Promise<Outgoing> {
      return new Response(null, {
        status: 200,
        headers: {
          'x-amz-bucket-region': deps.region,
          'x-qoima-storage-class': call.bucket.storageClass,
          'x-qoima-access-type': call.bucket.accessType,
        },
      });
    },

    async DeleteBucket(call: BucketCall): Promise<Outgoing> {
      // the host router stops serving the bucket's domains at once (another bucket may take its name)
      for (const hostname of await deleteBucket(deps.db, call.bucket)) deps.hosts.forgetDomain?.(hostname);
      return new Response(null, { status: 204 });
    },

    async GetBucketLocation(): Promise<Outgoing> {
      // us-east-1 is written as an empty constraint, as S3 does
      return xmlResponse(
        document('LocationConstraint', deps.region === 'us-east-1' ? '' : deps.region.replace(/[<&>]/g, '')),
      );
    },

    async GetBucketVersioning(): Promise<Outgoing> {
      // Versioning has never been enabled on any bucket here: S3 answers that with an empty configuration.
      return xmlResponse(document('VersioningConfiguration'));
    },
  };
}
