/**
 * The console's way to the JSON API: the typed client of the API's contract (api/contract), its
 * requests made in-process with the session's principal, so every rule of the API (validation,
 * scopes, quotas) applies to the console exactly as to scripts, and a change to a route that a page
 * relies on fails the type check.
 */
import type { AccountPrincipal } from '../auth/authenticate.ts';
import type { InProcess } from '../api/context.ts';
import { type Client, clientOf } from '../api/contract/client.ts';
import { type Contract, contract } from '../api/contract/index.ts';

export type ApiFetch = (request: Request, env: InProcess) => Promise<Response>;
export type Api = Client<Contract>;

export function apiFor(
  fetchApi: ApiFetch,
  principal: AccountPrincipal,
  /** Where the browser reached us: links and forms the API hands back point there. */
  origin: string,
  requestId: string,
): Api {
  // the facts the API hands back are not this request's log row: the console request has its own
  return clientOf(contract, (request) => fetchApi(request, { principal, requestId }), origin);
}

/** Path segments for console URLs. */
export const seg = encodeURIComponent;
