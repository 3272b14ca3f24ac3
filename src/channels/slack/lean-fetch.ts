// The fetch Bolt and its WebClient call Slack with (response_url answers, chat.update, views.open): Node 20's global
// fetch runs every request and response through WHATWG streams, and in bench:slack's peak that cost ~7% of the main
// thread, the thread that also acknowledges every Slack request. This one sends a string or byte body over node:http(s)
// with kept-alive connections and hands back a standard Response built from the whole body; any other body (a file
// upload's FormData, a stream) goes to the global fetch. No redirects are followed (WebClient asks for none, and a
// response_url answers in place).
import http from 'node:http';
import https from 'node:https';

/** Connections kept open per host: Slack's answers come from a handful of hosts. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

function bodyBytes(body: RequestInit['body']): Buffer | string | undefined | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

function plainHeaders(headers: RequestInit['headers'], body: Buffer | string | undefined, fromParams: boolean): Record<string, string> {
  const plain: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    plain[name] = value;
  });
  if (fromParams && !plain['content-type']) plain['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  if (body !== undefined) plain['content-length'] = String(Buffer.byteLength(body));
  return plain;
}

/** A WHATWG fetch for Slack's HTTP calls (see the module comment for what it leaves to the global fetch). */
export async function leanFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const body = bodyBytes(init.body);
  if (input instanceof Request || body === null) return globalThis.fetch(input, init);
  const url = new URL(String(input));
  const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
  if (!agent) return globalThis.fetch(input, init);
  const transport = url.protocol === 'https:' ? https : http;
  const headers = plainHeaders(init.headers, body, init.body instanceof URLSearchParams);
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  return new Promise<Response>((resolve, reject) => {
    const request = transport.request(url, { method: init.method ?? 'GET', headers, agent, ...(signal ? { signal } : {}) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value === undefined) continue;
          for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
        }
        // A Response may not carry a body with these statuses.
        const content = status === 204 || status === 205 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(content, { status, statusText: response.statusMessage ?? '', headers: responseHeaders }));
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}
