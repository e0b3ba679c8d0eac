/**
 * `Expect: 100-continue` on Node. Node answers `100 Continue` as soon as such a request arrives, before
 * the app has looked at it; here the 100 goes out when the app first reads the body instead, so a
 * request refused before that (bad signature, no rights, over quota) is answered with its refusal and
 * the client never sends the body. A refusal sent without the 100 closes the connection, since the
 * client may or may not send the body after it.
 *
 * The S3 handlers read a body as Node's own pieces (request-body.ts), asking for it the same way.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';

type Fetch = (req: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

/** Requests that expect 100-continue, with whether the app has asked for their body yet. */
const waiting = new WeakMap<object, { res: ServerResponse; continued: boolean }>();

/** Lets `server` hand requests that expect 100-continue to the app without answering 100 first. */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waiting.set(req, { res, continued: false });
    server.emit('request', req, res);
  });
}

/** The app is about to read `incoming`'s body: the client is told to send it, if it waits to be. */
export function askForBody(incoming: object): void {
  const w = waiting.get(incoming);
  if (!w || w.continued) return;
  w.continued = true;
  if (!w.res.headersSent) w.res.writeContinue();
}

/** The app's fetch, giving requests that wait for 100-continue a body that asks for it when read. */
export function continueOnRead(fetch: Fetch): Fetch {
  return async (req, env) => {
    const w = waiting.get(env.incoming);
    if (!w) return fetch(req, env);
    let request = req;
    if (env.incoming.method !== 'GET' && env.incoming.method !== 'HEAD') {
      // the adapter's own body is made only if this one is read (the console, the JSON API): the S3
      // handlers read Node's pieces (request-body.ts), and a second reader would take half of them
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            askForBody(env.incoming);
            reader ??= (req.body as ReadableStream<Uint8Array> | null)?.getReader();
            const next = await reader?.read();
            if (!next || next.done) controller.close();
            else controller.enqueue(next.value);
          },
          cancel: (reason) => reader?.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      const init = { method: req.method, headers: req.headers, body, duplex: 'half', signal: req.signal };
      request = new Request(req.url, init as RequestInit);
    }
    const response = await fetch(request, env);
    waiting.delete(env.incoming);
    if (!w.continued) w.res.shouldKeepAlive = false;
    return response;
  };
}
