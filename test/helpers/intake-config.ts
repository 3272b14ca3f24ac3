// The intake configuration the intake tests share: deskbot's support address and name, the sales contact, no
// sender authentication required, English mail. Each test names its data folder and overrides what it is about
// (the message size limit, SALES_CONTACT, ATTACHMENT_MAX_BYTES …).
import type { InboundEmailConfig } from '../../src/app/intake/handle-inbound-email.ts';

export function intakeConfig(dataDir: string, overrides: Partial<InboundEmailConfig> = {}): InboundEmailConfig {
  return {
    SUPPORT_ADDRESS: 'support@deskbot.local',
    SUPPORT_NAME: 'Support',
    SALES_CONTACT: 'sales@vendor.example',
    MAIL_MAX_BYTES: 1024 * 1024,
    AUTH_REQUIRED: false,
    AUTH_SERV_ID: 'mx.deskbot.local',
    LOCALE: 'en',
    dataDir,
    ...overrides,
  };
}
