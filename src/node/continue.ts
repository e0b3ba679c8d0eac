/**
 * `Expect: 100-continue` on Node. Node answers `100 Continue` as soon as such a request arrives, before
 * the app has looked at it; here the 100 goes out when the app first reads the body instead, so a
 * request refused before that (bad signature, no rights, over quota) is answered with its refusal and
 * the client never sends the body. A refusal sent without the 100 closes the connection, since the
 * client may or may not send the body after it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';

type Fetch = (req: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

const waiting = new WeakMap<object, ServerResponse>();

/** Lets `server` hand requests that expect 100-continue to the app without answering 100 first. */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waiting.set(req, res);
    server.emit('request', req, res);
  });
}

/** The app's fetch, giving requests that wait for 100-continue a body that asks for it when read. */
export function continueOnRead(fetch: Fetch): Fetch {
  return async (req, env) => {
    const res = waiting.get(env.incoming);
    if (!res || !req.body) return fetch(req, env);
    waiting.delete(env.incoming);
    let continued = false;
    const reader = req.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (!continued && !res.headersSent) res.writeContinue();
          continued = true;
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    const init = { method: req.method, headers: req.headers, body, duplex: 'half', signal: req.signal };
    const response = await fetch(new Request(req.url, init as RequestInit), env);
    if (!continued) res.shouldKeepAlive = false;
    return response;
  };
}
