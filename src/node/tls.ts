/**
 * TLS on Node: certificates inspected with node:crypto, and the SNI callback that picks a domain's
 * certificate for each handshake. Certificates are read from the database and kept for a few seconds,
 * so one attached or replaced through the API is served without a restart.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { type SecureContext, createSecureContext } from 'node:tls';
import type { Db } from '../core/db/index.ts';
import { type CertificateInspector, certificateFor } from '../core/model/domains.ts';
import type { SecretBox } from '../core/secretbox.ts';

export const inspectCertificate: CertificateInspector = (certificatePem, privateKeyPem) => {
  const cert = new X509Certificate(certificatePem);
  const key = createPrivateKey(privateKeyPem);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    fingerprint: cert.fingerprint256,
    keyMatches: cert.checkPrivateKey(key),
    covers: (hostname) => cert.checkHost(hostname) !== undefined,
  };
};

const RECHECK_MS = 5_000;

export function sniCallback(db: Db, box: SecretBox) {
  const cache = new Map<string, { context: SecureContext | null; version: number; checkedAt: number }>();
  const lookup = async (servername: string): Promise<SecureContext | null> => {
    const host = servername.toLowerCase();
    const hit = cache.get(host);
    if (hit && Date.now() - hit.checkedAt < RECHECK_MS) return hit.context;
    const pem = await certificateFor(db, box, host);
    if (hit && pem && hit.version === pem.updatedAt) {
      hit.checkedAt = Date.now();
      return hit.context;
    }
    const context = pem ? createSecureContext({ cert: pem.certificate, key: pem.privateKey }) : null;
    cache.set(host, { context, version: pem?.updatedAt ?? 0, checkedAt: Date.now() });
    return context;
  };
  return (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    lookup(servername).then(
      (ctx) => (ctx ? cb(null, ctx) : cb(new Error(`no certificate for ${servername}`))),
      (e: Error) => cb(e),
    );
  };
}
