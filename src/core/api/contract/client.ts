/**
 * The typed client of the JSON API, made from the contract: one method per route, taking the route's
 * path segments, query and body as their types say and answering the route's response type. A
 * refusal becomes an ApiError with the API's code, message and status. The answer is not parsed again
 * here: the server's handler for the route is type-checked against the same response schema.
 */
import type { AnyRoute, ArgsOf, ResponseOf, Routes } from './route.ts';

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

/** Sends one request to the API (over the network, or straight into the app). */
export type Send = (request: Request) => Promise<Response>;

export type Client<C extends Routes> = {
  [K in keyof C]: (...args: ArgsOf<C[K]>) => Promise<ResponseOf<C[K]>>;
} & {
  /** The API's own response for a route (a CSV download), whatever its status. */
  raw<R extends AnyRoute>(route: R, ...args: ArgsOf<R>): Promise<Response>;
};

interface LooseInput {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

/** The request for a route: segments encoded into the path, the query, the body as JSON. */
export function requestOf(origin: string, route: AnyRoute, input: LooseInput = {}): Request {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(input.params?.[name] ?? ''),
  );
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(input.query ?? {})) if (v !== undefined) query.set(k, v);
  const search = query.size ? `?${query}` : '';
  const hasBody = route.body !== undefined && input.body !== undefined;
  return new Request(`${origin}/admin${path}${search}`, {
    method: route.method.toUpperCase(),
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    body: hasBody ? JSON.stringify(input.body) : null,
  });
}

/** A client for `routes`, sending through `send`; `origin` is where the API is reached. */
export function clientOf<C extends Routes>(routes: C, send: Send, origin: string): Client<C> {
  const raw = (route: AnyRoute, input?: LooseInput) => send(requestOf(origin, route, input));
  const call = async (route: AnyRoute, input?: LooseInput): Promise<unknown> => {
    const res = await raw(route, input);
    if (res.status === 204) return null;
    const data: unknown = await res.json();
    if (!res.ok) {
      const error = errorOf(data);
      throw new ApiError(error?.code ?? 'InternalError', error?.message ?? `HTTP ${res.status}`, res.status);
    }
    return data;
  };
  const methods: Record<string, unknown> = { raw };
  for (const [name, route] of Object.entries(routes))
    methods[name] = (input?: LooseInput) => call(route, input);
  // each method sends its own route with the input its ArgsOf allows, so the answer is that route's
  return methods as Client<C>;
}

function errorOf(data: unknown): { code?: string; message?: string } | undefined {
  if (!data || typeof data !== 'object' || !('error' in data)) return undefined;
  const e = data.error;
  if (!e || typeof e !== 'object') return undefined;
  return {
    code: 'code' in e && typeof e.code === 'string' ? e.code : undefined,
    message: 'message' in e && typeof e.message === 'string' ? e.message : undefined,
  };
}
