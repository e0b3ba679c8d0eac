/**
 * A small typed router for the JSON API: every route declares its body and response schemas (zod),
 * which validate requests and, together, make the OpenAPI document served at /admin/openapi.json.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { S3Error } from '../errors.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDef<B extends z.ZodType | undefined, R extends z.ZodType> {
  method: Method;
  /** OpenAPI-style path under /admin, e.g. `/buckets/{name}`. */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  response: R;
  status?: 200 | 201 | 204;
}

export interface RouteInput<B> {
  c: Context;
  params: Record<string, string>;
  body: B;
}

interface Registered {
  def: RouteDef<z.ZodType | undefined, z.ZodType>;
}

export class ApiRouter {
  private readonly routes: Registered[] = [];

  constructor(
    private readonly app: Hono,
    private readonly readJson: (c: Context) => Promise<unknown>,
  ) {}

  add<B extends z.ZodType | undefined, R extends z.ZodType>(
    def: RouteDef<B, R>,
    handler: (
      input: RouteInput<B extends z.ZodType ? z.infer<B> : undefined>,
    ) => Promise<z.infer<R> | Response>,
  ): void {
    this.routes.push({ def: def as RouteDef<z.ZodType | undefined, z.ZodType> });
    const honoPath = def.path.replace(/\{(\w+)\}/g, ':$1');
    this.app.on(def.method.toUpperCase(), honoPath, async (c) => {
      let body: unknown = undefined;
      if (def.body) {
        const parsed = def.body.safeParse(await this.readJson(c));
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new S3Error('InvalidArgument', `${issue.path.join('.') || 'body'}: ${issue.message}`, {
            fields: { ArgumentName: issue.path.join('.') },
          });
        }
        body = parsed.data;
      }
      const result = await handler({
        c,
        params: c.req.param() as Record<string, string>,
        body: body as never,
      });
      if (result instanceof Response) return result; // another representation (?format=csv)
      if (def.status === 204) return c.body(null, 204);
      return c.json(result as object, def.status ?? 200);
    });
  }

  openapi(info: { title: string; version: string; description: string }): unknown {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { def } of this.routes) {
      const params = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      (paths[`/admin${def.path}`] ??= {})[def.method] = {
        summary: def.summary,
        tags: [def.tag],
        parameters: params,
        ...(def.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': {
                    schema: z.toJSONSchema(def.body, { io: 'input', unrepresentable: 'any' }),
                  },
                },
              },
            }
          : {}),
        responses: {
          [String(def.status ?? 200)]:
            def.status === 204
              ? { description: 'Done' }
              : {
                  description: 'OK',
                  content: {
                    'application/json': { schema: z.toJSONSchema(def.response, { unrepresentable: 'any' }) },
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

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});
