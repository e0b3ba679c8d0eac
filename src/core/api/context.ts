/**
 * The API's kit, shared by the wiring (app.ts) and the handlers: what the API is given (ApiDeps),
 * what each request carries (the signed-in principal, the payload check, what the app handed over),
 * and small readers of them. It imports no handler and no wiring, so nothing here leads back.
 */
import type { Context } from 'hono';
import type { AccountPrincipal, Credential, PayloadCheck } from '../auth/authenticate.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Billing } from '../billing/service.ts';
import type { Db } from '../db/index.ts';
import type { Digests } from '../digests.ts';
import type { RequestFacts } from '../log/facts.ts';
import type { CertificateInspector, TxtLookup } from '../model/domains.ts';
import type { AccountLimits, ClientLimits } from '../model/fair-use.ts';
import type { Suspensions } from '../model/terms-suspension.ts';
import type { SecretBox } from '../secretbox.ts';

export interface ApiDeps {
  db: Db;
  box: SecretBox;
  digests: Digests;
  region: string;
  /** Domains that belong to the service (customers cannot attach names under them). */
  reservedDomains: readonly string[];
  /** Base domains of bucket websites (`<bucket>.<domain>`). */
  websiteDomains: readonly string[];
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  txtLookup: TxtLookup;
  inspectCertificate: CertificateInspector;
  /** Tells the host router a domain changed (so it stops or starts serving it at once). */
  domainChanged: (hostname: string) => void;
  tokens: TokenService;
  accountLimits: AccountLimits;
  /** Refused requests per client address (an unsigned or badly signed call, a wrong operator token). */
  clientLimits: ClientLimits;
  /** Suspended accounts (terms of service, issue 16). */
  suspensions: Suspensions;
  /** The operator's bearer token for /admin/operator/...; null: the operator API is off. */
  operatorToken: string | null;
  billing: Billing;
}

/**
 * What the app hands the API with each request; `principal` only on calls from inside the server (the
 * console).
 */
export interface InProcess {
  requestId?: string;
  principal?: AccountPrincipal;
  /** The client's address, as the runtime knows it. */
  clientAddress?: string;
}

export type ApiEnv = {
  Bindings: InProcess;
  Variables: {
    principal: AccountPrincipal;
    requestId: string;
    payload: PayloadCheck;
    /** Who signed the call, for its log row (set by `identify`). */
    signer: Pick<RequestFacts, 'auth' | 'accountId' | 'keyId'>;
    /** The body, read already to check a signature that covers its hash (see auth/body-hash.ts). */
    readBody?: Uint8Array;
  };
};
export type ApiContext = Context<ApiEnv>;

export function principalOf(c: ApiContext): AccountPrincipal {
  return c.get('principal');
}

/** Where the caller reached us, for URLs handed back (presigned links, forms). */
export function endpointOf(c: ApiContext): string {
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header('host') ?? url.host}`;
}
