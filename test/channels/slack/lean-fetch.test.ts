// The fetch Slack calls go through, against a real HTTP server on loopback: what it sends (method, headers, body,
// content length), what it hands back (status, headers, body as a standard Response), aborts, and the bodies it leaves
// to the global fetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanFetch } from '../../../src/channels/slack/lean-fetch.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (request.url === '/slow') return void setTimeout(() => response.end('late'), 2_000);
      if (request.url === '/limited') {
        response.writeHead(429, { 'retry-after': '7', 'x-slack-req-id': 'r1' });
        return void response.end('{"ok":false,"error":"ratelimited"}');
      }
      if (request.url === '/empty') {
        response.writeHead(204);
        return void response.end();
      }
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, echo: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('leanFetch', () => {
  it('POSTs a JSON string with its headers and content length, and returns a standard Response', async () => {
    const body = JSON.stringify({ text: 'Größe: 5 ✓', response_type: 'ephemeral' });
    const response = await leanFetch(`${base}/respond/1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(response).toBeInstanceOf(Response);
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await response.json()).toEqual({ ok: true, echo: body });
    const request = seen.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/respond/1', body });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('sends URLSearchParams form-encoded and bytes as they are', async () => {
    await leanFetch(new URL(`${base}/api/chat.update`), { method: 'POST', body: new URLSearchParams({ channel: 'C1', text: 'a&b' }) });
    expect(seen.at(-1)).toMatchObject({ body: 'channel=C1&text=a%26b' });
    expect(seen.at(-1)!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    await leanFetch(`${base}/bytes`, { method: 'PUT', body: new Uint8Array([104, 105]) });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', body: 'hi' });
  });

  it("hands back a 429 with Slack's Retry-After, and a 204 without a body", async () => {
    const limited = await leanFetch(`${base}/limited`, { method: 'POST', body: '{}' });
    expect(limited.status).toBe(429);
    expect(limited.ok).toBe(false);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    const empty = await leanFetch(`${base}/empty`, { method: 'POST', body: '' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('rejects when the signal aborts, and at once when it already has', async () => {
    const started = performance.now();
    await expect(leanFetch(`${base}/slow`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1_500);
    const aborted = new AbortController();
    aborted.abort();
    const before = seen.length;
    await expect(leanFetch(`${base}/respond/2`, { method: 'POST', body: '{}', signal: aborted.signal })).rejects.toThrow();
    expect(seen.length).toBe(before);
  });

  it('leaves a FormData body (a file upload) to the global fetch, which still sends it', async () => {
    const form = new FormData();
    form.append('file', new Blob(['log line']), 'server.log');
    const response = await leanFetch(`${base}/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(seen.at(-1)!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.at(-1)!.body).toContain('log line');
  });

  it('rejects a connection refused like fetch does', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(leanFetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
