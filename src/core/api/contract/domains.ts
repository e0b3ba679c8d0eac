/** The custom domain and certificate routes of the JSON API. */
import { z } from 'zod';
import { route } from './route.ts';

export const DomainView = z.object({
  hostname: z.string(),
  bucket: z.string(),
  status: z.enum(['pending', 'verified']),
  txtRecord: z.object({ name: z.string(), value: z.string() }),
  verifiedAt: z.string().nullable(),
});

export const CertificateView = z.object({
  hostname: z.string(),
  subject: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprint: z.string(),
  daysLeft: z.number().int(),
});

const Hostname = z.string().min(1).max(253);

export const domainRoutes = {
  listDomains: route({
    method: 'get',
    path: '/buckets/{name}/domains',
    tag: 'domains',
    summary: 'Domains attached to a bucket',
    response: z.object({ domains: z.array(DomainView) }),
  }),

  attachDomain: route({
    method: 'post',
    path: '/buckets/{name}/domains',
    tag: 'domains',
    status: 201,
    summary: 'Attach a hostname; publish the returned TXT record, then verify',
    body: z.object({ hostname: Hostname }),
    response: DomainView,
  }),

  verifyDomain: route({
    method: 'post',
    path: '/buckets/{name}/domains/{hostname}/verify',
    tag: 'domains',
    summary: 'Check the TXT record; the domain is served from then on',
    response: DomainView,
  }),

  detachDomain: route({
    method: 'delete',
    path: '/buckets/{name}/domains/{hostname}',
    tag: 'domains',
    status: 204,
    summary: 'Detach a hostname (and its certificate)',
    response: z.null(),
  }),

  putCertificate: route({
    method: 'put',
    path: '/buckets/{name}/domains/{hostname}/certificate',
    tag: 'certificates',
    summary: 'Attach a TLS certificate and key (PEM) to a domain; HTTPS picks it up without a restart',
    body: z.object({ certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) }),
    response: CertificateView,
  }),

  removeCertificate: route({
    method: 'delete',
    path: '/buckets/{name}/domains/{hostname}/certificate',
    tag: 'certificates',
    status: 204,
    summary: "Remove a domain's certificate",
    response: z.null(),
  }),

  listCertificates: route({
    method: 'get',
    path: '/certificates',
    tag: 'certificates',
    summary: 'All your certificates, soonest expiry first',
    response: z.object({ certificates: z.array(CertificateView) }),
  }),
};
