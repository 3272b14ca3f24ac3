// Chooses how mail enters `deskbot serve`: IMAP IDLE when IMAP_HOST is set, otherwise the DATA_DIR/inbox/ folder.
// Both hand every message to the same inbound handlers; this file only picks and configures one.
import path from 'node:path';
import type { InboundMailHandler, Service } from '../../ports.ts';
import type { Runtime } from '../../runtime.ts';
import { createMailboxStateRepository } from '../../store/mailbox-state-repository.ts';
import { createImapSource, imapSettingsFromConfig, type OversizedMailHandler } from './imap-source.ts';
import { createInboxWatcher } from './inbox-watcher.ts';

export function createIntakeService(runtime: Runtime, handler: InboundMailHandler, oversizedHandler: OversizedMailHandler): Service {
  const { config, logger, health } = runtime;
  if (config.IMAP_HOST) {
    return createImapSource({
      settings: imapSettingsFromConfig(config),
      handler,
      oversizedHandler,
      state: createMailboxStateRepository(runtime.database.prisma),
      logger,
      health,
    });
  }
  return createInboxWatcher({
    dir: path.join(config.dataDir, 'inbox'),
    handlers: { handler, oversizedHandler },
    maxBytes: config.MAIL_MAX_BYTES,
    logger,
    health,
  });
}
