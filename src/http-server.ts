// deskbot's one HTTP server: /healthz now, and the routes channels add (Slack's /slack/events, /metrics).
import http from 'node:http';
import type { Logger } from './logger.ts';

export type RouteHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void | Promise<void>;

export interface HttpServer {
  /** Adds a route such as `GET /healthz`; an exact path match. */
  route(method: string, path: string, handler: RouteHandler): void;
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
  readonly server: http.Server;
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function createHttpServer(logger: Logger): HttpServer {
  const log = logger.child({ component: 'http' });
  const routes = new Map<string, RouteHandler>();
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    const handler = routes.get(`${request.method} ${pathname}`);
    if (!handler) {
      const allowed = [...routes.keys()].some((key) => key.endsWith(` ${pathname}`));
      sendJson(response, allowed ? 405 : 404, { error: allowed ? 'method not allowed' : 'not found' });
      return;
    }
    Promise.resolve()
      .then(() => handler(request, response))
      .catch((error: unknown) => {
        log.error({ event: 'http-handler-failed', err: error, path: pathname }, 'HTTP handler failed');
        if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
        else response.end();
      });
  });
  server.keepAliveTimeout = 5_000;
  return {
    server,
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve({ port: typeof address === 'object' && address ? address.port : port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
