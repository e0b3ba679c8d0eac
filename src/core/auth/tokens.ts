/**
 * Access keys as JWTs (jose). The service signs with its own ES256 key pair, `kid` in the header; the
 * public keys are published as a JWKS so an edge worker can verify a key with no database call.
 * Verification: ES256 only (never `none`, never an HMAC with a public key), issuer, audience, expiry
 * and not-before with at most a minute of clock skew, then the revocation list (cached, seconds old).
 * Rotating the signing key keeps the old public key until the last key it signed has expired.
 */
import { type JWK, SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { and, desc, eq, gt, isNotNull, isNull, lt, max, or } from 'drizzle-orm';
import { TtlCache } from '../cache.ts';
import type { Generation } from '../freshness.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { accessKeys, signingKeys } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import type { SecretBox } from '../secretbox.ts';
import { z } from 'zod';
import { Scope } from './scopes.ts';

export const JWT_ALG = 'ES256';
export const AUDIENCE = 'qoima';
export const MAX_CLOCK_SKEW_SECONDS = 60;

export interface TokenClaims {
  accountId: string;
  keyId: string;
  scopes: Scope[];
  notBefore: number;
  expiresAt: number;
}

const Payload = z.object({
  sub: z.string(),
  jti: z.string(),
  scp: z.array(Scope),
  exp: z.number(),
  nbf: z.number().optional(),
});

interface KeyRow {
  kid: string;
  publicKey: CryptoKey | Uint8Array;
}

interface SigningKeys {
  verify: Map<string, KeyRow>;
  current: { kid: string; privateJwk: JWK } | null;
}

export class TokenService {
  /** The signing keys and the revoked key ids, each kept for `cacheMs` under one name. */
  private readonly keys: TtlCache<'keys', SigningKeys>;
  private readonly revoked: TtlCache<'revoked', Set<string>>;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    readonly issuer: string,
    opts: { cacheMs?: number; clock?: Clock; generation?: Generation } = {},
  ) {
    const cache = { ttlMs: opts.cacheMs ?? 2_000, clock: opts.clock, generation: opts.generation };
    this.keys = new TtlCache(cache);
    this.revoked = new TtlCache(cache);
  }

  /** Makes sure a current signing key exists (the first start creates one). */
  async ensureKey(): Promise<void> {
    const [current] = await this.db
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(isNull(signingKeys.retiredAt))
      .limit(1);
    if (!current) await this.addKey();
  }

  private async addKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const kid = `sk-${new Date().toISOString().slice(0, 10)}-${randomBase32(8)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: 'sig' };
    const privateJwk = await exportJWK(privateKey);
    await this.db.insert(signingKeys).values({
      kid,
      alg: JWT_ALG,
      publicJwk: JSON.stringify(publicJwk),
      privateJwkSealed: await this.box.seal(JSON.stringify(privateJwk), `jwk:${kid}`),
      createdAt: Date.now(),
    });
    this.keys.delete('keys');
    return kid;
  }

  /** A new current key; the old one verifies until the last key it signed expires, then leaves the JWKS. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const old = await this.db
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(isNull(signingKeys.retiredAt));
    const kid = await this.addKey();
    for (const { kid: oldKid } of old) {
      const [last] = await this.db
        .select({ until: max(accessKeys.expiresAt) })
        .from(accessKeys)
        .where(eq(accessKeys.signingKid, oldKid));
      await this.db
        .update(signingKeys)
        .set({ retiredAt: Date.now(), dropAfter: Math.max(Date.now(), last?.until ?? 0) })
        .where(eq(signingKeys.kid, oldKid));
    }
    // keys whose last token has expired are no longer needed for anything
    await this.db
      .delete(signingKeys)
      .where(and(isNotNull(signingKeys.dropAfter), lt(signingKeys.dropAfter, Date.now())));
    this.keys.delete('keys');
    return { kid, retired: old.map((o) => o.kid) };
  }

  private loadKeys(): Promise<SigningKeys> {
    return this.keys.getOrLoad('keys', () => this.readKeys());
  }

  private async readKeys(): Promise<SigningKeys> {
    const now = Date.now();
    const rows = await this.db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.dropAfter), gt(signingKeys.dropAfter, now)))
      .orderBy(desc(signingKeys.createdAt));
    const verify = new Map<string, KeyRow>();
    let current: { kid: string; privateJwk: JWK } | null = null;
    for (const r of rows) {
      verify.set(r.kid, { kid: r.kid, publicKey: await importJWK(JSON.parse(r.publicJwk) as JWK, JWT_ALG) });
      if (!r.retiredAt && !current)
        current = {
          kid: r.kid,
          privateJwk: JSON.parse(await this.box.open(r.privateJwkSealed, `jwk:${r.kid}`)) as JWK,
        };
    }
    return { verify, current };
  }

  /** The public keys, for /.well-known/jwks.json. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = Date.now();
    const rows = await this.db
      .select({ jwk: signingKeys.publicJwk })
      .from(signingKeys)
      .where(or(isNull(signingKeys.dropAfter), gt(signingKeys.dropAfter, now)));
    return { keys: rows.map((r) => JSON.parse(r.jwk) as JWK) };
  }

  async sign(claims: TokenClaims): Promise<{ token: string; kid: string }> {
    const { current } = await this.loadKeys();
    if (!current) throw new Error('no signing key');
    const key = await importJWK(current.privateJwk, JWT_ALG);
    const token = await new SignJWT({ scp: claims.scopes })
      .setProtectedHeader({ alg: JWT_ALG, kid: current.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setSubject(claims.accountId)
      .setJti(claims.keyId)
      .setIssuedAt()
      .setNotBefore(Math.floor(claims.notBefore / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt / 1000))
      .sign(key);
    return { token, kid: current.kid };
  }

  private revokedIds(): Promise<Set<string>> {
    return this.revoked.getOrLoad('revoked', async () => {
      const rows = await this.db
        .select({ id: accessKeys.id })
        .from(accessKeys)
        .where(and(isNotNull(accessKeys.revokedAt), gt(accessKeys.expiresAt, Date.now())));
      return new Set(rows.map((r) => r.id));
    });
  }

  /** The claims of a valid, unrevoked token; AccessDenied (with the reason) otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    const { verify } = await this.loadKeys();
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const k = header.kid ? verify.get(header.kid) : undefined;
          if (!k) throw new Error('unknown signing key');
          return k.publicKey;
        },
        {
          algorithms: [JWT_ALG],
          issuer: this.issuer,
          audience: AUDIENCE,
          clockTolerance: MAX_CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp', 'jti', 'sub'],
        },
      ));
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const why =
        code === 'ERR_JWT_EXPIRED'
          ? 'the access key has expired'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? `the access key is not valid here (${(e as Error).message})`
            : code === 'ERR_JOSE_ALG_NOT_ALLOWED'
              ? 'the access key is signed with an algorithm that is not accepted'
              : 'the access key is not a valid token';
      throw new S3Error('AccessDenied', `Access Denied: ${why}.`);
    }
    const p = Payload.safeParse(payload);
    if (!p.success) throw new S3Error('AccessDenied', 'Access Denied: the access key is not a valid token.');
    if ((await this.revokedIds()).has(p.data.jti))
      throw new S3Error('AccessDenied', 'Access Denied: the access key has been revoked.');
    return {
      accountId: p.data.sub,
      keyId: p.data.jti,
      scopes: p.data.scp,
      notBefore: (p.data.nbf ?? 0) * 1000,
      expiresAt: p.data.exp * 1000,
    };
  }
}
