/** Custom domain and certificate routes of the JSON API. */
import { z } from 'zod';
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
import { type ApiDeps, principalOf } from './app.ts';
import { ownBucket } from './buckets.ts';
import type { ApiRouter } from './router.ts';

const DomainView = z.object({
  hostname: z.string(),
  bucket: z.string(),
  status: z.enum(['pending', 'verified']),
  txtRecord: z.object({ name: z.string(), value: z.string() }),
  verifiedAt: z.string().nullable(),
});

const CertificateView = z.object({
  hostname: z.string(),
  subject: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprint: z.string(),
  daysLeft: z.number().int(),
});

function domainView(d: Domain, bucket: string): z.infer<typeof DomainView> {
  return {
    hostname: d.hostname,
    bucket,
    status: d.status,
    txtRecord: { name: CHALLENGE_PREFIX + d.hostname, value: d.token },
    verifiedAt: d.verifiedAt ? new Date(d.verifiedAt).toISOString() : null,
  };
}

const Hostname = z.string().min(1).max(253);
const normalize = (h: string) => h.trim().toLowerCase().replace(/\.$/, '');

export function domainRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.add(
    {
      method: 'get',
      path: '/buckets/{name}/domains',
      tag: 'domains',
      summary: 'Domains attached to a bucket',
      response: z.object({ domains: z.array(DomainView) }),
    },
    async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      return { domains: (await listDomains(deps.db, b.id)).map((d) => domainView(d, b.name)) };
    },
  );

  router.add(
    {
      method: 'post',
      path: '/buckets/{name}/domains',
      tag: 'domains',
      status: 201,
      summary: 'Attach a hostname; publish the returned TXT record, then verify',
      body: z.object({ hostname: Hostname }),
      response: DomainView,
    },
    async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      return domainView(
        await attachDomain(deps.db, b, normalize(body.hostname), deps.reservedDomains),
        b.name,
      );
    },
  );

  router.add(
    {
      method: 'post',
      path: '/buckets/{name}/domains/{hostname}/verify',
      tag: 'domains',
      summary: 'Check the TXT record; the domain is served from then on',
      response: DomainView,
    },
    async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      const d = await verifyDomain(
        deps.db,
        await findDomain(deps.db, b.id, normalize(params.hostname!)),
        deps.txtLookup,
      );
      deps.domainChanged(d.hostname);
      return domainView(d, b.name);
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/buckets/{name}/domains/{hostname}',
      tag: 'domains',
      status: 204,
      summary: 'Detach a hostname (and its certificate)',
      response: z.null(),
    },
    async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      await detachDomain(deps.db, await findDomain(deps.db, b.id, normalize(params.hostname!)));
      deps.domainChanged(normalize(params.hostname!));
      return null;
    },
  );

  router.add(
    {
      method: 'put',
      path: '/buckets/{name}/domains/{hostname}/certificate',
      tag: 'certificates',
      summary: 'Attach a TLS certificate and key (PEM) to a domain; HTTPS picks it up without a restart',
      body: z.object({ certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) }),
      response: CertificateView,
    },
    async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      const d = await findDomain(deps.db, b.id, normalize(params.hostname!));
      const s = await attachCertificate(deps.db, deps.box, deps.inspectCertificate, d, {
        certificate: body.certificatePem,
        privateKey: body.privateKeyPem,
      });
      return certificateView(s);
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/buckets/{name}/domains/{hostname}/certificate',
      tag: 'certificates',
      status: 204,
      summary: "Remove a domain's certificate",
      response: z.null(),
    },
    async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      await removeCertificate(
        deps.db,
        (await findDomain(deps.db, b.id, normalize(params.hostname!))).hostname,
      );
      return null;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/certificates',
      tag: 'certificates',
      summary: 'All your certificates, soonest expiry first',
      response: z.object({ certificates: z.array(CertificateView) }),
    },
    async ({ c }) => {
      const p = principalOf(c);
      const ids = (await listBuckets(deps.db, p.accountId, { limit: 10_000 }))
        .filter((b) => allows(p.scopes, 'admin', b.name))
        .map((b) => b.id);
      return { certificates: (await listCertificates(deps.db, ids)).map(certificateView) };
    },
  );
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
