/**
 * The pure steps of the S3 pipeline, without a server: which bucket a Host names, where a request
 * target points, whether a website host answers as the website, and which operation a request is.
 */
import { describe, expect, it } from 'vitest';
import { logEntry } from '../src/core/log/facts.ts';
import { routeHost, websiteAnswers } from '../src/core/s3/hosts.ts';
import { detectOperation } from '../src/core/s3/operations.ts';
import { resolveTarget } from '../src/core/s3/target.ts';

const hosts = {
  baseDomains: ['s3.example.test'],
  websiteDomains: ['web.example.test'],
  customDomain: async (h: string) => (h === 'files.customer.test' ? 'files' : null),
};

describe('routeHost', () => {
  it('tells the service endpoint, virtual hosts, website hosts and custom domains apart', async () => {
    expect(await routeHost('127.0.0.1:9000', hosts)).toEqual({ kind: 'service' });
    expect(await routeHost('[::1]:9000', hosts)).toEqual({ kind: 'service' });
    expect(await routeHost('s3.example.test', hosts)).toEqual({ kind: 'service' });
    expect(await routeHost('Photos.S3.Example.Test:443', hosts)).toEqual({
      kind: 'bucket',
      bucket: 'photos',
      via: 'virtual',
    });
    expect(await routeHost('blog.web.example.test', hosts)).toEqual({
      kind: 'bucket',
      bucket: 'blog',
      via: 'website',
    });
    expect(await routeHost('files.customer.test', hosts)).toEqual({
      kind: 'bucket',
      bucket: 'files',
      via: 'custom',
    });
    expect(await routeHost('unknown.test', hosts)).toEqual({ kind: 'service' });
    expect(await routeHost(null, hosts)).toEqual({ kind: 'service' });
  });
});

describe('websiteAnswers', () => {
  const signed = () => true;
  const unsigned = () => false;
  it('a website host answers all but preflights; a custom domain unsigned reads of a website', () => {
    expect(websiteAnswers('website', false, 'GET', signed)).toBe(true);
    expect(websiteAnswers('website', true, 'PUT', unsigned)).toBe(true);
    expect(websiteAnswers('website', true, 'OPTIONS', unsigned)).toBe(false);
    expect(websiteAnswers('custom', true, 'GET', unsigned)).toBe(true);
    expect(websiteAnswers('custom', true, 'HEAD', unsigned)).toBe(true);
    expect(websiteAnswers('custom', true, 'GET', signed)).toBe(false);
    expect(websiteAnswers('custom', true, 'PUT', unsigned)).toBe(false);
    expect(websiteAnswers('custom', false, 'GET', unsigned)).toBe(false);
  });
});

describe('detectOperation', () => {
  const op = (method: string, target: string, headers: Record<string, string> = {}) =>
    detectOperation(method, resolveTarget(target, null), new Headers(headers));
  const refusal = (method: string, target: string, headers: Record<string, string> = {}) => {
    try {
      op(method, target, headers);
    } catch (e) {
      return (e as { code: string }).code;
    }
    return null;
  };

  it('names service, bucket and object operations by method, sub-resource and headers', () => {
    expect(op('GET', '/')).toBe('ListBuckets');
    expect(op('PUT', '/b')).toBe('CreateBucket');
    expect(op('GET', '/b')).toBe('ListObjects');
    expect(op('GET', '/b?list-type=2')).toBe('ListObjectsV2');
    expect(op('HEAD', '/b')).toBe('HeadBucket');
    expect(op('DELETE', '/b')).toBe('DeleteBucket');
    expect(op('GET', '/b?cors')).toBe('GetBucketCors');
    expect(op('DELETE', '/b?website')).toBe('DeleteBucketWebsite');
    expect(op('POST', '/b?delete')).toBe('DeleteObjects');
    expect(op('POST', '/b', { 'content-type': 'multipart/form-data; boundary=x' })).toBe('PostObject');
    expect(op('OPTIONS', '/b/k')).toBe('CorsPreflight');
    expect(op('GET', '/b/k')).toBe('GetObject');
    expect(op('HEAD', '/b/k')).toBe('HeadObject');
    expect(op('PUT', '/b/k')).toBe('PutObject');
    expect(op('PUT', '/b/k', { 'x-amz-copy-source': '/a/b' })).toBe('CopyObject');
    expect(op('PUT', '/b/k?partNumber=1&uploadId=u')).toBe('UploadPart');
    expect(op('PUT', '/b/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': '/a/b' })).toBe('UploadPartCopy');
    expect(op('POST', '/b/k?uploads')).toBe('CreateMultipartUpload');
    expect(op('POST', '/b/k?uploadId=u')).toBe('CompleteMultipartUpload');
    expect(op('DELETE', '/b/k?uploadId=u')).toBe('AbortMultipartUpload');
    expect(op('GET', '/b/k?uploadId=u')).toBe('ListParts');
    expect(op('GET', '/b/k?acl')).toBe('GetObjectAcl');
    expect(op('GET', '/b/k?attributes')).toBe('GetObjectAttributes');
    expect(op('GET', '/b/k?partNumber=2')).toBe('GetObject');
  });

  it('refuses what it does not offer clearly, never as another operation', () => {
    expect(refusal('DELETE', '/')).toBe('MethodNotAllowed');
    expect(refusal('PATCH', '/b/k')).toBe('MethodNotAllowed');
    expect(refusal('PUT', '/b/k', { 'x-amz-object-lock-mode': 'GOVERNANCE' })).toBe('NotImplemented');
    expect(refusal('PUT', '/b?policyStatus')).toBe('MethodNotAllowed');
    expect(refusal('GET', '/b?tagging')).toBe('NotImplemented');
    expect(refusal('PUT', '/b?versioning')).toBe('NotImplemented');
    expect(refusal('PUT', '/b/k', { 'x-amz-server-side-encryption': 'AES256' })).toBe('NotImplemented');
    const sseC = { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' };
    expect(refusal('GET', '/b/k', sseC)).toBe('NotImplemented');
    expect(refusal('HEAD', '/b/k', { 'X-Amz-Server-Side-Encryption-Customer-Key-MD5': 'x' })).toBe(
      'NotImplemented',
    );
    expect(refusal('POST', '/b')).toBe('InvalidRequest');
    expect(refusal('PUT', '/b/k?partNumber=1')).toBe('InvalidRequest');
  });
});

describe('logEntry', () => {
  it('makes the row from the facts, and a body that failed on our side a 500 InternalError', () => {
    const measured = {
      time: 1,
      requestId: 'R',
      status: 200,
      bytesIn: 3,
      bytesOut: 5,
      durationMs: 2,
      clientIp: null,
      userAgent: null,
    };
    const facts = { operation: 'GetObject', auth: 'root', accountId: 'acc1', bucket: 'b', key: 'k' };
    expect(logEntry(facts, measured)).toMatchObject({
      operation: 'GetObject',
      status: 200,
      errorCode: null,
      accountId: 'acc1',
      keyId: null,
      retrievalBytes: 0,
    });
    expect(logEntry(facts, { ...measured, failed: true })).toMatchObject({
      status: 500,
      errorCode: 'InternalError',
    });
  });
});
