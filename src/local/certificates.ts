/** Certificates inspected with node:crypto (X509Certificate), for the core's custom-domain TLS checks. */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { CertificateInspector } from '../core/model/domains.ts';

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
