/**
 * Registers the contract's routes (contract/*.ts) on the API app: each request's query and body are
 * validated by the route's schemas before its handler runs, and the handlers of a group of routes are
 * checked by the types to be exactly one per route, answering what the route says. The OpenAPI
 * document served at /admin/openapi.json is made from the same routes.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { S3Error } from '../errors.ts';
import type { ApiContext, ApiEnv } from './context.ts';
import type { AnyRoute, BodyOut, Params, QueryOut, ResponseOf, Routes } from './contract/route.ts';

export interface RouteInput<R extends AnyRoute> {
  c: ApiContext;
  params: Params<R['path']>;
  query: QueryOut<R>;
  body: BodyOut<R>;
}

/** A route's handler: its answer, or another representation as a whole Response (?format=csv). */
export type Handler<R extends AnyRoute> = (input: RouteInput<R>) => Promise<ResponseOf<R> | Response>;
export type Handlers<C extends Routes> = { [K in keyof C]: Handler<C[K]> };

const invalid = (issue: z.core.$ZodIssue, what: string) =>
  new S3Error('InvalidArgument', `${issue.path.join('.') || what}: ${issue.message}`, {
    fields: { ArgumentName: issue.path.join('.') },
  });

export class ApiRouter {
  private readonly routes: { name: string; route: AnyRoute }[] = [];

  constructor(
    private readonly app: Hono<ApiEnv>,
    private readonly readJson: (c: ApiContext) => Promise<unknown>,
  ) {}

  /** Serves every route of `routes` with its handler from `handlers`. */
  register<C extends Routes>(routes: C, handlers: Handlers<C>): void {
    for (const name of Object.keys(routes) as (keyof C & string)[])
      this.add(name, routes[name]!, handlers[name]);
  }

  private add<R extends AnyRoute>(name: string, route: R, handler: Handler<R>): void {
    this.routes.push({ name, route });
    const honoPath = route.path.replace(/\{(\w+)\}/g, ':$1');
    this.app.on(route.method.toUpperCase(), honoPath, async (c) => {
      let body: unknown;
      if (route.body) {
        const parsed = route.body.safeParse(await this.readJson(c));
        if (!parsed.success) throw invalid(parsed.error.issues[0]!, 'body');
        body = parsed.data;
      }
      let query: unknown = {};
      if (route.query) {
        const parsed = route.query.safeParse(firstValues(new URL(c.req.url).searchParams));
        if (!parsed.success) throw invalid(parsed.error.issues[0]!, 'query');
        query = parsed.data;
      }
      const result = await handler({
        c,
        params: c.req.param() as Params<R['path']>,
        query: query as QueryOut<R>,
        body: body as BodyOut<R>,
      });
      if (result instanceof Response) return result; // another representation (?format=csv)
      if (route.status === 204) return c.body(null, 204);
      return c.json(result as object, route.status);
    });
  }

  openapi(info: { title: string; version: string; description: string }): unknown {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { name, route } of this.routes) {
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const query = route.query
        ? Object.keys((route.query as z.ZodObject).shape).map((name) => ({
            name,
            in: 'query',
            required: false,
            schema: { type: 'string' },
          }))
        : [];
      (paths[`/admin${route.path}`] ??= {})[route.method] = {
        operationId: name, // the typed client's method: api.<operationId>(...)
        summary: route.summary,
        tags: [route.tag],
        parameters: [...params, ...query],
        ...(route.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': {
                    schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }),
                  },
                },
              },
            }
          : {}),
        responses: {
          [String(route.status)]:
            route.status === 204
              ? { description: 'Done' }
              : {
                  description: 'OK',
                  content: {
                    'application/json': {
                      schema: z.toJSONSchema(route.response, { unrepresentable: 'any' }),
                    },
                  },
                },
          default: {
            description: 'An error',
            content: { 'application/json': { schema: z.toJSONSchema(ErrorBody) } },
          },
        },
        security: [{ sigv4: [] }, { bearer: [] }],
      };
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        securitySchemes: {
          sigv4: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'AWS Signature Version 4 (service "s3"), e.g. curl --aws-sigv4 "aws:amz:us-east-1:s3" --user KEY:SECRET',
          },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    };
  }
}

/** A query's parameters, each with its first value (as URLSearchParams.get reads them). */
function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // "__proto__" is a name like any other
  for (const [k, v] of params) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});
