/**
 * Custom domains of buckets and their TLS certificates. A domain is served only after its ownership
 * check passed: the customer publishes a token as a TXT record at `_qoima-challenge.<hostname>`. How
 * TXT records are looked up is the runtime's business (TxtLookup); how certificates are inspected too
 * (CertificateInspector): the core only stores and decides.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { buckets, certificates, domains } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { isS3Error, S3Error } from '../errors.ts';
import type { SecretBox } from '../secretbox.ts';
import type { Bucket } from './buckets.ts';

export type Domain = typeof domains.$inferSelect;

/** TXT records (each record's strings joined) at a DNS name; [] when there are none. */
export type TxtLookup = (name: string) => Promise<string[]>;

export interface CertificateFacts {
  subject: string;
  notBefore: number;
  notAfter: number;
  fingerprint: string;
  /** The private key belongs to this certificate. */
  keyMatches: boolean;
  /** The certificate is valid for this hostname (SAN or CN, wildcards as TLS matches them). */
  covers: (hostname: string) => boolean;
}

/** Reads a PEM certificate and key; throws a plain Error when they do not parse. */
export type CertificateInspector = (certificatePem: string, privateKeyPem: string) => CertificateFacts;

export const CHALLENGE_PREFIX = '_qoima-challenge.';

/** How long an unverified claim on a domain holds it against other buckets. */
export const PENDING_CLAIM_MS = 48 * 3_600_000;

export function hostnameProblem(h: string, reserved: readonly string[]): string | null {
  if (h.length > 253 || !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(h)) {
    return 'A domain is a lower-case DNS name such as files.example.com.';
  }
  if (reserved.some((r) => h === r || h.endsWith(`.${r}`)))
    return `Names under ${reserved.join(', ')} belong to the service itself.`;
  return null;
}

export async function attachDomain(
  db: Db,
  bucket: Bucket,
  hostname: string,
  reserved: readonly string[],
): Promise<Domain> {
  const problem = hostnameProblem(hostname, reserved);
  if (problem)
    throw new S3Error('InvalidArgument', problem, {
      fields: { ArgumentName: 'hostname', ArgumentValue: hostname },
    });
  const row: Domain = {
    hostname,
    bucketId: bucket.id,
    token: `qoima-verify-${randomBase32(24)}`,
    status: 'pending',
    createdAt: Date.now(),
    verifiedAt: null,
  };
  const inserted = await db
    .insert(domains)
    .values(row)
    .onConflictDoNothing()
    .returning({ hostname: domains.hostname });
  if (inserted.length) return row;
  const [existing] = await db.select().from(domains).where(eq(domains.hostname, hostname));
  if (existing?.bucketId === bucket.id) return existing;
  if (existing && existing.status === 'pending' && existing.createdAt < row.createdAt - PENDING_CLAIM_MS) {
    // nobody proved this name in time: the claim gives way, so nobody can squat on a domain they do not own
    const [taken] = await db.batch([
      db
        .update(domains)
        .set(row)
        .where(
          and(
            eq(domains.hostname, hostname),
            eq(domains.status, 'pending'),
            eq(domains.createdAt, existing.createdAt),
          ),
        )
        .returning({ hostname: domains.hostname }),
      // the old claimant's certificate goes with the claim (the statement sees the update's result)
      db
        .delete(certificates)
        .where(
          and(
            eq(certificates.hostname, hostname),
            sql`EXISTS (SELECT 1 FROM domains WHERE hostname = ${hostname} AND bucket_id = ${bucket.id})`,
          ),
        ),
    ]);
    if (taken.length) return row;
  }
  throw new S3Error(
    'BucketAlreadyExists',
    `The domain ${hostname} is already attached to another bucket${existing?.status === 'pending' ? ' (unverified claims give way after 48 hours)' : ''}.`,
  );
}

export async function findDomain(db: Db, bucketId: string, hostname: string): Promise<Domain> {
  const [row] = await db
    .select()
    .from(domains)
    .where(and(eq(domains.hostname, hostname), eq(domains.bucketId, bucketId)));
  if (!row) throw new S3Error('NoSuchKey', `The domain ${hostname} is not attached to this bucket.`);
  return row;
}

/** Runs the ownership check; on success the domain is served from the next request on. */
export async function verifyDomain(db: Db, domain: Domain, lookup: TxtLookup): Promise<Domain> {
  let records: string[];
  try {
    records = await lookup(CHALLENGE_PREFIX + domain.hostname);
  } catch {
    records = [];
  }
  if (!records.some((r) => r.trim() === domain.token)) {
    throw new S3Error(
      'AccessDenied',
      `The TXT record ${CHALLENGE_PREFIX}${domain.hostname} does not hold "${domain.token}" yet. Publish it and check again (DNS changes can take a while).`,
    );
  }
  const verified: Domain = { ...domain, status: 'verified', verifiedAt: Date.now() };
  await db
    .update(domains)
    .set({ status: 'verified', verifiedAt: verified.verifiedAt })
    .where(eq(domains.hostname, domain.hostname));
  return verified;
}

export async function detachDomain(db: Db, domain: Domain): Promise<void> {
  await db.batch([
    db.delete(certificates).where(eq(certificates.hostname, domain.hostname)),
    db.delete(domains).where(eq(domains.hostname, domain.hostname)),
  ]);
}

export async function listDomains(db: Db, bucketId: string): Promise<Domain[]> {
  return db.select().from(domains).where(eq(domains.bucketId, bucketId)).orderBy(asc(domains.hostname));
}

/** The bucket a verified domain serves. */
export async function bucketForDomain(db: Db, hostname: string): Promise<string | null> {
  const [row] = await db
    .select({ name: buckets.name })
    .from(domains)
    .innerJoin(buckets, eq(buckets.id, domains.bucketId))
    .where(and(eq(domains.hostname, hostname), eq(domains.status, 'verified')));
  return row?.name ?? null;
}

export type CertificateSummary = Omit<typeof certificates.$inferSelect, 'keySealed' | 'certificatePem'>;

/**
 * Validates and stores a certificate for a domain: the key must match, the name be covered, the dates valid.
 */
export async function attachCertificate(
  db: Db,
  box: SecretBox,
  inspect: CertificateInspector,
  domain: Domain,
  pem: { certificate: string; privateKey: string },
): Promise<CertificateSummary> {
  let facts: CertificateFacts;
  try {
    facts = inspect(pem.certificate, pem.privateKey);
  } catch (e) {
    if (isS3Error(e)) throw e; // the runtime's own answer (Workers: certificates are Cloudflare's)
    throw new S3Error('InvalidArgument', `The certificate or key could not be read: ${(e as Error).message}`);
  }
  if (!facts.keyMatches)
    throw new S3Error('InvalidArgument', 'The private key does not belong to this certificate.');
  if (!facts.covers(domain.hostname))
    throw new S3Error(
      'InvalidArgument',
      `The certificate (${facts.subject}) is not valid for ${domain.hostname}.`,
    );
  const now = Date.now();
  if (facts.notAfter <= now)
    throw new S3Error(
      'InvalidArgument',
      `The certificate expired on ${new Date(facts.notAfter).toISOString()}.`,
    );
  if (facts.notBefore > now + 5 * 60_000)
    throw new S3Error(
      'InvalidArgument',
      `The certificate is not valid before ${new Date(facts.notBefore).toISOString()}.`,
    );
  const row = {
    hostname: domain.hostname,
    certificatePem: pem.certificate,
    keySealed: await box.seal(pem.privateKey, `tls:${domain.hostname}`),
    notBefore: facts.notBefore,
    notAfter: facts.notAfter,
    subject: facts.subject,
    fingerprint: facts.fingerprint,
    updatedAt: now,
  };
  await db.insert(certificates).values(row).onConflictDoUpdate({ target: certificates.hostname, set: row });
  const { keySealed: _k, certificatePem: _c, ...summary } = row;
  return summary;
}

export async function removeCertificate(db: Db, hostname: string): Promise<void> {
  await db.delete(certificates).where(eq(certificates.hostname, hostname));
}

export async function listCertificates(db: Db, bucketIds: string[]): Promise<CertificateSummary[]> {
  if (!bucketIds.length) return [];
  return db
    .select({
      hostname: certificates.hostname,
      notBefore: certificates.notBefore,
      notAfter: certificates.notAfter,
      subject: certificates.subject,
      fingerprint: certificates.fingerprint,
      updatedAt: certificates.updatedAt,
    })
    .from(certificates)
    .innerJoin(domains, eq(domains.hostname, certificates.hostname))
    .where(inArray(domains.bucketId, bucketIds))
    .orderBy(asc(certificates.notAfter));
}

/** The PEM pair to serve for a hostname (SNI), with its version stamp for caches. */
export async function certificateFor(
  db: Db,
  box: SecretBox,
  hostname: string,
): Promise<{ certificate: string; privateKey: string; updatedAt: number } | null> {
  const [row] = await db.select().from(certificates).where(eq(certificates.hostname, hostname));
  if (!row) return null;
  return {
    certificate: row.certificatePem,
    privateKey: await box.open(row.keySealed, `tls:${hostname}`),
    updatedAt: row.updatedAt,
  };
}
