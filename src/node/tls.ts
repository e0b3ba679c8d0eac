/**
 * TLS on Node: the service's own certificate, and the SNI callback that picks a domain's
 * certificate for each handshake, else the service's own (QOIMA_TLS_CERT / QOIMA_TLS_KEY, also for
 * clients that send no name). Domains' certificates are read from the database and kept while the
 * settings generation stands (core/freshness.ts), so one attached, replaced or removed through the API,
 * on any node, is used from the next handshake on, without a restart. A failed
 * handshake is logged with its reason (once a minute per name and reason), never silent.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import { type SecureContext, type TLSSocket, createSecureContext } from 'node:tls';
import { type Config, ConfigError } from '../core/config.ts';
import type { Db } from '../core/db/index.ts';
import { TtlCache } from '../core/cache.ts';
import { CHECKED_CACHE_MS, type Freshness } from '../core/freshness.ts';
import { certificateFor } from '../core/model/domains.ts';
import type { SecretBox } from '../core/secretbox.ts';
import { inspectCertificate } from '../local/certificates.ts';

export interface PemPair {
  cert: string;
  key: string;
}

/** The service's own certificate, read at start-up; a missing file or a mismatched key stops start-up. */
export async function serviceCertificate(files: Config['tls']): Promise<PemPair | null> {
  if (!files) return null;
  let pem: PemPair;
  try {
    pem = { cert: await readFile(files.certFile, 'utf8'), key: await readFile(files.keyFile, 'utf8') };
    if (!inspectCertificate(pem.cert, pem.key).keyMatches)
      throw new Error("the key is not the certificate's");
  } catch (e) {
    throw new ConfigError(`QOIMA_TLS_CERT / QOIMA_TLS_KEY: ${(e as Error).message}`);
  }
  const notAfter = Date.parse(new X509Certificate(pem.cert).validTo);
  if (notAfter < Date.now())
    console.error(`qoima: QOIMA_TLS_CERT expired on ${new Date(notAfter).toISOString()}`);
  return pem;
}

/** A handshake the SNI callback refused: no domain's certificate and no certificate of the service's own. */
class NoCertificate extends Error {}

/**
 * Logs every failed handshake with its reason, once a minute per name and reason (a scanner or a
 * client that distrusts the certificate cannot flood the log): one refused for want of a certificate
 * says how to give it one; any other says what the TLS layer reported (e.g. the client's alert).
 */
export function logRefusedHandshakes(server: Server, hasOwnCertificate: boolean): void {
  const lastLogged = new Map<string, number>();
  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    const name = (socket as TLSSocket & { servername?: string | false }).servername || null;
    // with no name the SNI callback never runs: without a certificate of its own the server had none
    const noCertificate = err instanceof NoCertificate || (name === null && !hasOwnCertificate);
    const reason = noCertificate ? 'no certificate' : (err.code ?? err.message);
    const key = `${name ?? ''}\n${reason}`;
    if ((lastLogged.get(key) ?? 0) > Date.now() - 60_000) return;
    if (lastLogged.size > 1000) lastLogged.clear();
    lastLogged.set(key, Date.now());
    const which = name ? `for ${name}` : 'without a server name';
    console.error(
      noCertificate
        ? `qoima: TLS handshake ${which} from ${socket.remoteAddress} refused: no certificate ` +
            '(attach one to the domain, or give the service its own: QOIMA_TLS_CERT and QOIMA_TLS_KEY)'
        : `qoima: TLS handshake ${which} from ${socket.remoteAddress} failed: ${err.message}` +
            (err.code ? ` (${err.code})` : ''),
    );
  });
}

/**
 * Picks a domain's certificate by SNI, else `own` (the service's certificate), else refuses the handshake.
 */
export function sniCallback(db: Db, box: SecretBox, own: SecureContext | null, freshness: Freshness) {
  // (the service's cache, kept by settings generation: certificates and domains move it, so a
  // certificate attached, renewed or removed on any node is used from the next handshake on)
  const cache = new TtlCache<string, SecureContext | null>({
    ttlMs: CHECKED_CACHE_MS,
    generation: freshness,
  });
  const load = async (host: string): Promise<SecureContext | null> => {
    const pem = await certificateFor(db, box, host);
    return pem ? createSecureContext({ cert: pem.certificate, key: pem.privateKey }) : null;
  };
  const lookup = async (servername: string): Promise<SecureContext | null> => {
    const host = servername.toLowerCase();
    try {
      await freshness.check();
    } catch (e) {
      // the database did not answer: a name already known keeps its certificate rather than fail
      const known = cache.get(host);
      if (known !== undefined) return known;
      throw e;
    }
    return cache.getOrLoad(host, load);
  };
  return (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    lookup(servername).then(
      (ctx) => {
        const chosen = ctx ?? own;
        if (chosen) cb(null, chosen);
        else cb(new NoCertificate(`no certificate for ${servername}`));
      },
      (e: Error) => cb(e),
    );
  };
}
