/** The custom domain and certificate routes of the JSON API (contract/domains.ts). */
import type { z } from 'zod';
import { allows } from '../auth/scopes.ts';
import { listBuckets } from '../model/buckets.ts';
import {
  CHALLENGE_PREFIX,
  type Domain,
  attachCertificate,
  attachDomain,
  detachDomain,
  findDomain,
  listCertificates,
  listDomains,
  removeCertificate,
  verifyDomain,
} from '../model/domains.ts';
import { ownBucket } from './buckets.ts';
import { type ApiDeps, principalOf } from './context.ts';
import type { CertificateView, DomainView, domainRoutes } from './contract/domains.ts';
import type { Handlers } from './router.ts';

function domainView(d: Domain, bucket: string): z.infer<typeof DomainView> {
  return {
    hostname: d.hostname,
    bucket,
    status: d.status,
    txtRecord: { name: CHALLENGE_PREFIX + d.hostname, value: d.token },
    verifiedAt: d.verifiedAt ? new Date(d.verifiedAt).toISOString() : null,
  };
}

const normalize = (h: string) => h.trim().toLowerCase().replace(/\.$/, '');

export function domainHandlers(deps: ApiDeps): Handlers<typeof domainRoutes> {
  return {
    listDomains: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      return { domains: (await listDomains(deps.db, b.id)).map((d) => domainView(d, b.name)) };
    },

    attachDomain: async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      return domainView(
        await attachDomain(deps.db, b, normalize(body.hostname), deps.reservedDomains),
        b.name,
      );
    },

    verifyDomain: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      const d = await verifyDomain(
        deps.db,
        await findDomain(deps.db, b.id, normalize(params.hostname)),
        deps.txtLookup,
      );
      deps.domainChanged(d.hostname);
      return domainView(d, b.name);
    },

    detachDomain: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      await detachDomain(deps.db, await findDomain(deps.db, b.id, normalize(params.hostname)));
      deps.domainChanged(normalize(params.hostname));
      return null;
    },

    putCertificate: async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      const d = await findDomain(deps.db, b.id, normalize(params.hostname));
      const s = await attachCertificate(deps.db, deps.box, deps.inspectCertificate, d, {
        certificate: body.certificatePem,
        privateKey: body.privateKeyPem,
      });
      return certificateView(s);
    },

    removeCertificate: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      await removeCertificate(
        deps.db,
        (await findDomain(deps.db, b.id, normalize(params.hostname))).hostname,
      );
      return null;
    },

    listCertificates: async ({ c }) => {
      const p = principalOf(c);
      const ids = (await listBuckets(deps.db, p.accountId, { limit: 10_000 }))
        .filter((b) => allows(p.scopes, 'admin', b.name))
        .map((b) => b.id);
      return { certificates: (await listCertificates(deps.db, ids)).map(certificateView) };
    },
  };
}

function certificateView(s: {
  hostname: string;
  subject: string;
  notBefore: number;
  notAfter: number;
  fingerprint: string;
}): z.infer<typeof CertificateView> {
  return {
    hostname: s.hostname,
    subject: s.subject,
    fingerprint: s.fingerprint,
    notBefore: new Date(s.notBefore).toISOString(),
    notAfter: new Date(s.notAfter).toISOString(),
    daysLeft: Math.floor((s.notAfter - Date.now()) / 86_400_000),
  };
}
