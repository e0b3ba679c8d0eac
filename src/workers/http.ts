/**
 * What the Workers platform changes on the way in and out, put back as an S3 client expects it.
 *
 * In: Cloudflare rewrites Accept-Encoding (to `br, gzip`, under wrangler dev too) and keeps the value
 * the client sent in `cf.clientAcceptEncoding` (`""` when it sent none). SigV4 clients may sign that
 * header (rclone does), so the request goes to the app with the client's own value: the signature is
 * checked against exactly what the client sent, as the platform recorded it; nothing is relaxed.
 *
 * Out: a streamed body goes out chunked even with a Content-Length header, and clients need the length
 * (s3cmd fails without it, browsers show downloads of unknown size); a FixedLengthStream of that length
 * makes the platform send it (and fail the response if the body were ever shorter or longer).
 */

export function asSent(request: Request): Request {
  const cf = (request as { cf?: { clientAcceptEncoding?: unknown } }).cf;
  const original = cf?.clientAcceptEncoding;
  if (typeof original !== 'string' || original === (request.headers.get('accept-encoding') ?? ''))
    return request;
  const headers = new Headers(request.headers);
  if (original === '') headers.delete('accept-encoding');
  else headers.set('accept-encoding', original);
  return new Request(request, { headers });
}

export function withLength(method: string, res: Response): Response {
  const length = res.headers.get('content-length');
  if (method === 'HEAD' || !res.body || length === null || !/^\d{1,15}$/.test(length)) return res;
  const fixed = new FixedLengthStream(Number(length));
  // a body cut short errors the fixed stream, which aborts the response as the platform sees fit
  res.body.pipeTo(fixed.writable).catch(() => {});
  return new Response(fixed.readable, res);
}
