/**
 * Bucket policies and ACLs, mapped onto what Qoima offers: a bucket's access type (private or
 * public-read: anyone may GET/HEAD its objects) and public listing (anyone may list it). The policies
 * and ACLs clients send for exactly that are accepted; anything else (other principals, Deny, conditions,
 * writes for everyone, prefixes) is refused with a clear error rather than stored and ignored.
 */
import { S3Error } from '../errors.ts';
import type { Bucket } from '../model/buckets.ts';
import { children, document, leaf, node, parseXml, text } from '../xml.ts';

export interface PublicAccess {
  publicRead: boolean;
  publicList: boolean;
}

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

function cannot(why: string): S3Error {
  return new S3Error(
    'NotImplemented',
    `This policy cannot be honoured: ${why}. Qoima supports making a whole bucket publicly readable (s3:GetObject on arn:aws:s3:::BUCKET/*) and publicly listable (s3:ListBucket on arn:aws:s3:::BUCKET) for Principal "*".`,
  );
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object' && !Array.isArray(principal)) {
    const keys = Object.keys(principal);
    const aws = (principal as Record<string, unknown>).AWS;
    return keys.length === 1 && keys[0] === 'AWS' && asList(aws).every((p) => p === '*');
  }
  return false;
}

/** Parses a bucket policy (JSON) into the public access it grants, or refuses it. */
export function parseBucketPolicy(json: string, bucketName: string): PublicAccess {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new S3Error('MalformedPolicy', 'The policy is not valid JSON.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new S3Error('MalformedPolicy', 'A policy is a JSON object.');
  const statements = asList((doc as Record<string, unknown>).Statement);
  if (statements.length === 0 || statements[0] === undefined)
    throw new S3Error('MalformedPolicy', 'Policy has no Statement.');
  const out: PublicAccess = { publicRead: false, publicList: false };
  const objectArn = `arn:aws:s3:::${bucketName}/*`;
  const bucketArn = `arn:aws:s3:::${bucketName}`;
  for (const st of statements) {
    if (!st || typeof st !== 'object')
      throw new S3Error('MalformedPolicy', 'Each Statement is a JSON object.');
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Allow') throw cannot(`Effect "${String(s.Effect)}" (only Allow)`);
    if (s.Condition !== undefined) throw cannot('conditions are not supported');
    if (s.NotAction !== undefined || s.NotResource !== undefined || s.NotPrincipal !== undefined)
      throw cannot('Not* elements are not supported');
    if (!isEveryone(s.Principal))
      throw cannot('only Principal "*" (everyone) is supported; grant access to people with access keys');
    const actions = asList(s.Action).map(String);
    const resources = asList(s.Resource).map(String);
    if (!actions.length || !resources.length)
      throw new S3Error('MalformedPolicy', 'A Statement needs Action and Resource.');
    for (const action of actions) {
      if (action === 's3:GetObject') {
        if (!resources.includes(objectArn)) throw cannot(`s3:GetObject must apply to ${objectArn}`);
        out.publicRead = true;
      } else if (action === 's3:ListBucket') {
        if (!resources.includes(bucketArn)) throw cannot(`s3:ListBucket must apply to ${bucketArn}`);
        out.publicList = true;
      } else throw cannot(`action ${action} for everyone`);
    }
    for (const r of resources) {
      if (r !== objectArn && r !== bucketArn) throw cannot(`resource ${r}`);
    }
  }
  return out;
}

/** The policy equivalent to a bucket's public access, or null when it is private and unlisted. */
export function bucketPolicyOf(bucket: Bucket): string | null {
  const statements = [];
  if (bucket.accessType === 'public-read') {
    statements.push({
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket.name}/*`,
    });
  }
  if (bucket.publicList) {
    statements.push({
      Sid: 'PublicList',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${bucket.name}`,
    });
  }
  return statements.length ? JSON.stringify({ Version: '2012-10-17', Statement: statements }) : null;
}

/** Canned ACLs: private and public-read are honoured; the rest are refused. */
export function parseCannedAcl(acl: string): 'private' | 'public-read' {
  if (acl === 'private' || acl === 'bucket-owner-full-control') return 'private';
  if (acl === 'public-read') return 'public-read';
  throw new S3Error(
    'NotImplemented',
    `The canned ACL "${acl}" is not supported: a bucket is private or public-read (anyone may read its objects); nobody but the owner's keys may write.`,
  );
}

/** An AccessControlPolicy document: owner FULL_CONTROL, plus AllUsers READ for public-read. */
export function parseAclXml(xml: string, ownerId: string): 'private' | 'public-read' {
  const doc = parseXml(xml)['AccessControlPolicy'];
  if (doc === undefined) throw new S3Error('MalformedXML');
  let everyoneReads = false;
  for (const grant of children(children(doc, 'AccessControlList')[0], 'Grant')) {
    const grantee = children(grant, 'Grantee')[0];
    const permission = text(grant, 'Permission');
    const uri = text(grantee, 'URI');
    const id = text(grantee, 'ID');
    if (uri === ALL_USERS && permission === 'READ') everyoneReads = true;
    else if (id === ownerId && permission === 'FULL_CONTROL') continue;
    else
      throw new S3Error(
        'NotImplemented',
        `The grant of ${permission ?? '?'} to ${uri ?? id ?? 'that grantee'} is not supported: a bucket is private or public-read.`,
      );
  }
  return everyoneReads ? 'public-read' : 'private';
}

export function aclXml(ownerId: string, publicRead: boolean): string {
  const grantee = (type: string, inner: string) =>
    `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="${type}">${inner}</Grantee>`;
  return document(
    'AccessControlPolicy',
    node('Owner', leaf('ID', ownerId), leaf('DisplayName', ownerId)),
    node(
      'AccessControlList',
      node(
        'Grant',
        grantee('CanonicalUser', leaf('ID', ownerId) + leaf('DisplayName', ownerId)),
        leaf('Permission', 'FULL_CONTROL'),
      ),
      publicRead ? node('Grant', grantee('Group', leaf('URI', ALL_USERS)), leaf('Permission', 'READ')) : '',
    ),
  );
}
