/**
 * Serving a bucket as a static website (S3's website endpoint semantics): index documents (also in
 * sub-folders, with `/docs` → `/docs/` when only `docs/index.html` exists), routing rules, redirect-all,
 * the error document served with its status, and HTML (not XML) errors. Anonymous GET and HEAD only;
 * the bucket must be public-read.
 */
import { S3Error, isS3Error } from '../errors.ts';
import { locationValue } from '../http-fields.ts';
import type { Bucket } from '../model/buckets.ts';
import { findObject } from '../model/object-reads.ts';
import type { RequestFacts } from '../log/facts.ts';
import { escapeXml } from '../xml.ts';
import { type ReadDeps, findObjectToRead, objectResponse } from './handlers/read.ts';
import { type Outgoing, Reply, textReply } from '../http/reply.ts';
import {
  type RoutingRule,
  type WebsiteConfig,
  matchRule,
  redirectLocation,
} from '../model/bucket-settings.ts';

export interface WebsiteRequest {
  method: string;
  headers: Headers;
  /** Path and query as sent. */
  rawTarget: string;
  /** The Host header as sent (with its port), for redirects that keep the host. */
  host: string;
  protocol: 'http' | 'https';
  requestId: string;
}

/** A website's answer, with what it learned for the log row: the key it served, the error it gave. */
export interface WebsiteAnswer {
  res: Outgoing;
  facts: Pick<RequestFacts, 'key' | 'errorCode'>;
}

/** A website's error page, sent whole (textReply). */
export function htmlError(e: S3Error, requestId: string, key?: string): Reply {
  const title = `${e.status} ${e.code === 'NoSuchKey' || e.code === 'NoSuchBucket' || e.code === 'NoSuchWebsiteConfiguration' ? 'Not Found' : e.code === 'AccessDenied' ? 'Forbidden' : 'Error'}`;
  const items = [
    `Code: ${e.code}`,
    `Message: ${e.message}`,
    ...(key !== undefined ? [`Key: ${key}`] : []),
    `RequestId: ${requestId}`,
  ];
  const html = `<html>\n<head><title>${escapeXml(title)}</title></head>\n<body>\n<h1>${escapeXml(title)}</h1>\n<ul>\n${items.map((i) => `<li>${escapeXml(i)}</li>`).join('\n')}\n</ul>\n<hr/>\n</body>\n</html>\n`;
  return textReply(e.status, html, 'text/html; charset=utf-8', e.headers);
}

function redirect(location: string, code: number): Response {
  return new Response(null, { status: code, headers: { location: locationValue(location) } });
}

function ruleRedirect(rule: RoutingRule, key: string, req: WebsiteRequest): Response {
  return redirect(redirectLocation(rule, key, req.host, req.protocol), rule.redirect.httpRedirectCode ?? 301);
}

export async function serveWebsite(
  deps: ReadDeps,
  req: WebsiteRequest,
  bucket: Bucket,
): Promise<WebsiteAnswer> {
  // the key asked for (named in a NoSuchKey page), and the one served once an object is found
  const asked = { key: '', served: undefined as string | undefined };
  try {
    return { res: await answer(deps, req, bucket, asked), facts: { key: asked.served } };
  } catch (e) {
    if (!isS3Error(e)) throw e;
    const res = htmlError(e, req.requestId, e.code === 'NoSuchKey' ? asked.key : undefined);
    if (req.method === 'HEAD') res.headers.delete('content-length');
    return {
      res: req.method === 'HEAD' ? new Reply(res.status, null, res.headers) : res,
      facts: { key: asked.served, errorCode: e.code },
    };
  }
}

async function answer(
  deps: ReadDeps,
  req: WebsiteRequest,
  bucket: Bucket,
  asked: { key: string; served: string | undefined },
): Promise<Outgoing> {
  if (!bucket.website)
    throw new S3Error('NoSuchWebsiteConfiguration', undefined, { fields: { BucketName: bucket.name } });
  const cfg = JSON.parse(bucket.website) as WebsiteConfig;
  if (cfg.redirectAll)
    return redirect(
      `${cfg.redirectAll.protocol ?? req.protocol}://${cfg.redirectAll.hostName}${req.rawTarget}`,
      301,
    );
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new S3Error('MethodNotAllowed', 'A website answers GET and HEAD only.');
  if (bucket.accessType !== 'public-read')
    throw new S3Error('AccessDenied', 'This website bucket is not public.');
  let key: string;
  try {
    key = decodeURIComponent(req.rawTarget.split('?')[0]!.slice(1));
  } catch {
    throw new S3Error('InvalidArgument', "Couldn't parse the specified URI.");
  }
  asked.key = key;
  const requested = key;
  // routing rules see the key as requested (`docs/` → `documents/`, not `documents/index.html`)
  const early = matchRule(cfg, requested);
  if (early) return ruleRedirect(early, requested, req);
  if (key === '' || key.endsWith('/')) key += cfg.indexSuffix;
  asked.key = key;

  const obj = await findObjectToRead(deps, bucket.id, key);
  if (obj) {
    asked.served = key;
    return await objectResponse(deps, obj, bucket, req.headers, { withBody: req.method === 'GET' });
  }
  if (requested === key && (await findObject(deps.db, bucket.id, `${key}/${cfg.indexSuffix}`))) {
    return redirect(`/${requested.split('/').map(encodeURIComponent).join('/')}/`, 302);
  }
  const onError = matchRule(cfg, requested, 404);
  if (onError) return ruleRedirect(onError, requested, req);
  if (cfg.errorKey) {
    const doc = await findObject(deps.db, bucket.id, cfg.errorKey);
    if (doc)
      return await objectResponse(deps, doc, bucket, new Headers(), {
        withBody: req.method === 'GET',
        status: 404,
      });
  }
  throw new S3Error('NoSuchKey');
}
