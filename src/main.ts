// Wiring only: `deskbot serve` opens the runtime, starts the HTTP server and every service, and stops them on SIGTERM.
import type { Config } from './config.ts';
import { createHttpServer, sendJson } from './http-server.ts';
import type { Service } from './ports.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { Logger } from './logger.ts';
import { registry, setOutboxDepthSource } from './metrics.ts';
import { importDirectoryFile } from './app/import-directory.ts';

export interface RunningDeskbot {
  runtime: Runtime;
  port: number;
  stop(): Promise<void>;
}

/** Starts deskbot; resolves once it listens. */
export async function serve(config: Config, options: { logger?: Logger } = {}): Promise<RunningDeskbot> {
  const runtime = await openRuntime(config, options.logger ? { logger: options.logger } : {});
  const log = runtime.logger.child({ component: 'main' });
  if (config.DIRECTORY_FILE) {
    // Idempotent, so importing at every start keeps the directory in step with the file.
    try {
      const imported = await importDirectoryFile(config.DIRECTORY_FILE, { directory: runtime.directory, policy: runtime.policy });
      for (const warning of imported.warnings) log.warn({ event: 'directory-warning', ...warning }, 'directory warning');
      log.info({ event: 'directory-imported', file: imported.file, ...imported.summary }, 'directory imported');
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  const http = createHttpServer(runtime.logger);
  const services: Service[] = [];

  http.route('GET', '/healthz', async (_request, response) => {
    try {
      await runtime.database.ping();
      runtime.health.set('database', 'ok', runtime.database.kind);
    } catch (error) {
      runtime.health.set('database', 'down', (error as Error).message);
    }
    const report = runtime.health.report();
    sendJson(response, report.status === 'down' ? 503 : 200, report);
  });

  http.route('GET', '/metrics', async (_request, response) => {
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType });
    response.end(body);
  });
  setOutboxDepthSource(async () => {
    const rows = await runtime.database.prisma.outbox.groupBy({ by: ['channel'], where: { status: 'pending' }, _count: { _all: true }, _min: { createdAt: true } });
    const now = runtime.clock.now().getTime();
    return rows.map((row) => ({ channel: row.channel, pending: row._count._all, oldestAgeSeconds: row._min.createdAt ? (now - row._min.createdAt.getTime()) / 1000 : 0 }));
  });

  for (const name of ['email', 'slack'] as const) if (!runtime.health.get(name)) runtime.health.set(name, 'off', 'not configured');

  const started: Service[] = [];
  const stop = async () => {
    log.info({ event: 'stopping' }, 'stopping deskbot');
    await http.close();
    for (const service of started.reverse()) {
      await service.stop().catch((error: unknown) => log.error({ event: 'service-stop-failed', service: service.name, err: error }, 'service failed to stop'));
    }
    await runtime.close();
    log.info({ event: 'stopped' }, 'deskbot stopped');
  };
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
    }
    const { port } = await http.listen(config.PORT, config.HOST);
    log.info({ event: 'listening', port, database: runtime.database.kind }, `deskbot listening on port ${port}`);
    return { runtime, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
