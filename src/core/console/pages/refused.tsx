/**
 * Pages that say no, styled like the rest: a refused page for a signed-in user (with the navigation
 * and a way back), and a plain one for requests without a session (not found, our own errors).
 */
import type { Context } from 'hono';
import { messageOf } from '../kit.ts';
import type { SignedIn } from '../kit.ts';
import { Layout } from '../layout.tsx';

/** A page's refusal (no such bucket or object, no access) as a page with the console's navigation. */
export async function refusedPage(c: Context, s: SignedIn, e: unknown): Promise<Response> {
  const { message, status } = messageOf(e);
  return c.html(
    <Layout title={status === 404 ? 'Not found' : 'Refused'} section="buckets" csrf={s.csrf} error={message}>
      <p>
        <a href="/console/buckets">Your buckets</a> · <a href="/console">Overview</a>
      </p>
    </Layout>,
    status,
  );
}

/** A page without a session's navigation, in the console's style. */
export function plainPage(c: Context, title: string, message: string, status: 404 | 500 | number) {
  return c.html(
    <Layout title={title} section={null} error={message}>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </Layout>,
    status as 404,
  );
}
