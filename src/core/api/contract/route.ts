/**
 * What one JSON API route is, as data: method, path (OpenAPI style, `{name}` for a segment), the zod
 * schemas of its query, body and answer. The server registers a handler per route (`api/router.ts`),
 * the typed client (`client.ts`) calls it, and the OpenAPI document is made from the same objects:
 * a route is declared once, and a change to it reaches every caller through the types.
 */
import type { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Route<
  P extends string = string,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Under /admin, e.g. `/buckets/{name}`. */
  path: P;
  summary: string;
  tag: string;
  /** Query parameters (all optional strings as sent; the handler reads its own defaults). */
  query: Q;
  body: B;
  response: R;
  status: 200 | 201 | 204;
}

/** A route as written: query, body and status may be left out. */
export function route<
  const P extends string,
  R extends z.ZodType,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(def: {
  method: Method;
  path: P;
  summary: string;
  tag: string;
  query?: Q;
  body?: B;
  response: R;
  status?: 200 | 201 | 204;
}): Route<P, Q, B, R> {
  return {
    method: def.method,
    path: def.path,
    summary: def.summary,
    tag: def.tag,
    query: def.query as Q, // absent: undefined, which is what Q defaults to
    body: def.body as B,
    response: def.response,
    status: def.status ?? 200,
  };
}

export type AnyRoute = Route<string, any, any, any>;
export type Routes = Record<string, AnyRoute>;

/** The names of a path's `{segments}`. */
export type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}`
  ? N | ParamNames<Rest>
  : never;
export type Params<P extends string> = { [K in ParamNames<P>]: string };

/** What a route answers (as JSON); null for a 204. */
export type ResponseOf<R extends AnyRoute> = z.output<R['response']>;
/** The body a route takes, as a caller writes it (defaults not yet applied). */
export type BodyIn<R extends AnyRoute> = R['body'] extends z.ZodType ? z.input<R['body']> : undefined;
/** The body a handler gets, validated, with defaults applied. */
export type BodyOut<R extends AnyRoute> = R['body'] extends z.ZodType ? z.output<R['body']> : undefined;
export type QueryOut<R extends AnyRoute> = R['query'] extends z.ZodType
  ? z.output<R['query']>
  : Record<string, never>;

/** What a caller passes: the path's segments, the body if the route takes one, the query if any. */
export type InputOf<R extends AnyRoute> = ([ParamNames<R['path']>] extends [never]
  ? unknown
  : { params: Params<R['path']> }) &
  (R['body'] extends z.ZodType ? { body: z.input<R['body']> } : unknown) &
  (R['query'] extends z.ZodType ? { query?: z.input<R['query']> } : unknown);

/** The arguments of a call: the input, optional when the route needs none. */
export type ArgsOf<R extends AnyRoute> =
  Record<string, never> extends InputOf<R> ? [input?: InputOf<R>] : [input: InputOf<R>];
