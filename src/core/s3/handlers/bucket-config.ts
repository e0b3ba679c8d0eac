/**
 * Bucket settings through the S3 calls clients use: policy and ACLs (mapped onto the access type and
 * public listing), CORS rules, website configuration, and CORS preflights.
 */
import type { Outgoing } from '../../http/reply.ts';
import type { Db } from '../../db/index.ts';
import type { Digests } from '../../digests.ts';
import { S3Error } from '../../errors.ts';
import { updateBucket } from '../../model/buckets.ts';
import { document, leaf } from '../../xml.ts';
import { incomingBody, readSmallBody } from '../../http/body.ts';
import { type BucketCall, type ObjectCall, xmlResponse } from '../call.ts';
import { type WebsiteConfig, rulesOf } from '../../model/bucket-settings.ts';
import { corsXml, parseCorsXml, preflight } from '../cors.ts';
import { aclXml, bucketPolicyOf, parseAclXml, parseBucketPolicy, parseCannedAcl } from '../policy.ts';
import { parseWebsiteXml, websiteXml } from '../website-config.ts';
import { requireObject } from './read.ts';

export interface BucketConfigDeps {
  db: Db;
  digests: Digests;
}

const MAX_CONFIG_BYTES = 64 * 1024;

export function bucketConfigHandlers(deps: BucketConfigDeps) {
  const bodyText = async (call: BucketCall) =>
    new TextDecoder().decode(
      await readSmallBody(
        incomingBody(call.body, call.headers, call.auth.payload, deps.digests),
        MAX_CONFIG_BYTES,
      ),
    );
  const noContent = () => new Response(null, { status: 204 });

  return {
    async GetBucketPolicy(call: BucketCall): Promise<Outgoing> {
      const policy = bucketPolicyOf(call.bucket);
      if (!policy)
        throw new S3Error('NoSuchBucketPolicy', undefined, { fields: { BucketName: call.bucket.name } });
      return new Response(policy, { headers: { 'content-type': 'application/json' } });
    },

    async PutBucketPolicy(call: BucketCall): Promise<Outgoing> {
      const access = parseBucketPolicy(await bodyText(call), call.bucket.name);
      await updateBucket(deps.db, call.bucket.id, {
        accessType: access.publicRead ? 'public-read' : 'private',
        publicList: access.publicList,
      });
      return noContent();
    },

    async DeleteBucketPolicy(call: BucketCall): Promise<Outgoing> {
      await updateBucket(deps.db, call.bucket.id, { accessType: 'private', publicList: false });
      return noContent();
    },

    async GetBucketPolicyStatus(call: BucketCall): Promise<Outgoing> {
      const isPublic = call.bucket.accessType === 'public-read' || call.bucket.publicList;
      return xmlResponse(document('PolicyStatus', leaf('IsPublic', isPublic)));
    },

    async GetBucketAcl(call: BucketCall): Promise<Outgoing> {
      return xmlResponse(aclXml(call.bucket.accountId, call.bucket.accessType === 'public-read'));
    },

    async PutBucketAcl(call: BucketCall): Promise<Outgoing> {
      const canned = call.headers.get('x-amz-acl');
      const body = await bodyText(call);
      const accessType =
        canned !== null ? parseCannedAcl(canned) : body ? parseAclXml(body, call.bucket.accountId) : null;
      if (accessType === null)
        throw new S3Error('MissingSecurityHeader', 'Send x-amz-acl or an AccessControlPolicy body.');
      await updateBucket(deps.db, call.bucket.id, { accessType });
      return new Response(null, { status: 200 });
    },

    async GetObjectAcl(call: ObjectCall): Promise<Outgoing> {
      await requireObject(deps.db, call.bucket.id, call.key);
      return xmlResponse(aclXml(call.bucket.accountId, call.bucket.accessType === 'public-read'));
    },

    async PutObjectAcl(call: ObjectCall): Promise<Outgoing> {
      await requireObject(deps.db, call.bucket.id, call.key);
      const canned = call.headers.get('x-amz-acl');
      const body = await bodyText(call);
      const wanted = canned !== null ? parseCannedAcl(canned) : parseAclXml(body, call.bucket.accountId);
      if (wanted !== call.bucket.accessType) {
        throw new S3Error(
          'NotImplemented',
          `Objects follow their bucket's access type (${call.bucket.accessType}); change the bucket's access type instead.`,
        );
      }
      return new Response(null, { status: 200 });
    },

    async GetBucketCors(call: BucketCall): Promise<Outgoing> {
      const rules = rulesOf(call.bucket.cors);
      if (!rules)
        throw new S3Error('NoSuchCORSConfiguration', undefined, { fields: { BucketName: call.bucket.name } });
      return xmlResponse(corsXml(rules));
    },

    async PutBucketCors(call: BucketCall): Promise<Outgoing> {
      const rules = parseCorsXml(await bodyText(call));
      await updateBucket(deps.db, call.bucket.id, { cors: JSON.stringify(rules) });
      return new Response(null, { status: 200 });
    },

    async DeleteBucketCors(call: BucketCall): Promise<Outgoing> {
      await updateBucket(deps.db, call.bucket.id, { cors: null });
      return noContent();
    },

    async GetBucketWebsite(call: BucketCall): Promise<Outgoing> {
      if (!call.bucket.website)
        throw new S3Error('NoSuchWebsiteConfiguration', undefined, {
          fields: { BucketName: call.bucket.name },
        });
      return xmlResponse(websiteXml(JSON.parse(call.bucket.website) as WebsiteConfig));
    },

    async PutBucketWebsite(call: BucketCall): Promise<Outgoing> {
      const cfg = parseWebsiteXml(await bodyText(call));
      await updateBucket(deps.db, call.bucket.id, { website: JSON.stringify(cfg) });
      return new Response(null, { status: 200 });
    },

    async DeleteBucketWebsite(call: BucketCall): Promise<Outgoing> {
      await updateBucket(deps.db, call.bucket.id, { website: null });
      return noContent();
    },

    async CorsPreflight(call: BucketCall): Promise<Outgoing> {
      const res = preflight(rulesOf(call.bucket.cors), call.headers);
      await call.admit();
      return res;
    },
  };
}
