/**
 * The console's way to the JSON API: requests made in-process with the session's principal, so every
 * rule of the API (validation, scopes, quotas) applies to the console exactly as to scripts.
 */
import type { AccountPrincipal } from '../auth/authenticate.ts';
import type { InProcess } from '../api/app.ts';

export type ApiFetch = (request: Request, env: InProcess) => Promise<Response>;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  constructor(
    private readonly fetchApi: ApiFetch,
    private readonly principal: AccountPrincipal,
    /** Where the browser reached us: links and forms the API hands back point there. */
    private readonly origin: string,
    private readonly requestId: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    if (res.status === 204) return null as T;
    const data = (await res.json()) as T & { error?: { code: string; message: string } };
    if (!res.ok)
      throw new ApiError(
        data.error?.code ?? 'InternalError',
        data.error?.message ?? `HTTP ${res.status}`,
        res.status,
      );
    return data;
  }

  /** The API's own response (CSV downloads). */
  raw(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    // the facts the API hands back are not this request's log row: the console request has its own
    return this.fetchApi(new Request(`${this.origin}/admin${path}`, init), {
      principal: this.principal,
      requestId: this.requestId,
    });
  }

  get = <T>(path: string) => this.call<T>('GET', path);
  post = <T>(path: string, body: unknown = {}) => this.call<T>('POST', path, body);
  put = <T>(path: string, body: unknown) => this.call<T>('PUT', path, body);
  patch = <T>(path: string, body: unknown) => this.call<T>('PATCH', path, body);
  delete = (path: string, body?: unknown) => this.call<null>('DELETE', path, body);
}

/** Path segments and query values for API paths. */
export const seg = encodeURIComponent;
