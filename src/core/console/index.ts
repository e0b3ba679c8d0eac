/**
 * The personal cabinet at /console: server-rendered pages (hono/jsx) over the JSON API, a session
 * cookie, CSRF tokens on every form. This file only wires: the headers every answer carries, the
 * assets, the error page, and each section's pages (pages/); what they share is in kit.ts.
 */
import { type Context, Hono } from 'hono';
import { FACTS_HEADER, type RequestFacts, encodeFacts } from '../log/facts.ts';
import { ApiError } from '../api/contract/client.ts';
import { isS3Error } from '../errors.ts';
import { CSS, JS } from './assets.ts';
import { SIGNED_IN, type ConsoleApp, type ConsoleDeps, type ConsoleEnv, messageOf, pagesFor } from './kit.ts';
import { accessLogPages } from './pages/access-log.tsx';
import { authPages } from './pages/auth.tsx';
import { bucketPages } from './pages/buckets.tsx';
import { keyPages } from './pages/keys.tsx';
import { objectDetailPages } from './pages/object-details.tsx';
import { objectPages } from './pages/objects.tsx';
import { overviewPages } from './pages/overview.tsx';
import { plainPage } from './pages/refused.tsx';
import { settingsPages } from './pages/settings.tsx';
import { usagePages } from './pages/usage.tsx';
import { termsPages } from './pages/terms.tsx';

export function consoleApp(deps: ConsoleDeps): ConsoleApp {
  const app: ConsoleApp = new Hono<{ Bindings: ConsoleEnv }>({ strict: false }).basePath('/console');

  app.use('*', async (c, next) => {
    await next();
    c.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    // the facts of a console request go back with its response (log/facts.ts)
    const accountId = (c as Context).get(SIGNED_IN) as string | undefined;
    const facts: RequestFacts = accountId
      ? { operation: `Console ${c.req.method}`, auth: 'console', accountId }
      : { operation: `Console ${c.req.method}`, auth: 'anonymous' };
    c.res.headers.set(FACTS_HEADER, encodeFacts(facts));
  });

  app.get('/assets/app.css', (c) =>
    c.body(CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    }),
  );
  app.get('/assets/app.js', (c) =>
    c.body(JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    }),
  );

  app.onError((err, c) => {
    const known = err instanceof ApiError || isS3Error(err);
    if (!known) console.error(`qoima: console error on ${c.req.method} ${c.req.path}`, err);
    const e = known
      ? messageOf(err)
      : { message: 'Something went wrong on our side; please try again.', status: 500 as const };
    return plainPage(c, e.status === 404 ? 'Not found' : 'Refused', e.message, e.status);
  });

  const pages = pagesFor(deps);
  authPages(app, deps);
  overviewPages(app, deps, pages);
  bucketPages(app, pages);
  objectPages(app, pages);
  objectDetailPages(app, pages);
  accessLogPages(app, pages);
  settingsPages(app, pages);
  keyPages(app, pages, deps.box);
  usagePages(app, pages);
  termsPages(app, pages);
  app.notFound((c) => plainPage(c, 'Not found', 'There is no such page in the console.', 404));
  return app;
}
