// A real SMTP server (smtp-server) on 127.0.0.1 that keeps every accepted message raw, for sender and dispatcher tests.
// It can refuse (421/451 temporarily, 550 for good) and stop and start listening on the same port (SMTP down, then up).
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface CapturedMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
}

/** Where a refusal is answered: at connect (the greeting), to RCPT TO, or after DATA. */
export type RefusalStage = 'connect' | 'rcpt' | 'data';

export interface Refusal {
  code: number;
  stage: RefusalStage;
  /** How many more times to refuse; Infinity until `accept()`. */
  remaining: number;
}

export interface SmtpCapture {
  readonly port: number;
  /** smtp://127.0.0.1:<port> */
  readonly url: string;
  readonly messages: CapturedMessage[];
  /** Refuse the next `times` attempts (default: until accept()) with `code` at `stage` (default: rcpt). */
  refuse(code: number, options?: { stage?: RefusalStage; times?: number }): void;
  accept(): void;
  /** How many attempts were refused so far. */
  readonly refusals: number;
  /** Stops listening and drops open connections at once. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Resolves once `count` messages were captured. */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  close(): Promise<void>;
}

function refusalError(code: number): Error & { responseCode: number } {
  const text = code >= 500 ? 'Mailbox unavailable (test refusal)' : 'Service temporarily unavailable (test refusal)';
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMessage[] = [];
  let refusal: Refusal | undefined;
  let refusals = 0;
  let port = 0;
  let server: SMTPServer | undefined;
  const waiters: Array<() => void> = [];

  const refuseAt = (stage: RefusalStage): Error | undefined => {
    if (!refusal || refusal.stage !== stage || refusal.remaining <= 0) return undefined;
    refusal.remaining -= 1;
    refusals += 1;
    return refusalError(refusal.code);
  };

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      closeTimeout: 50,
      onConnect(_session: SMTPServerSession, callback) {
        callback(refuseAt('connect') ?? null);
      },
      onRcptTo(_address, _session, callback) {
        callback(refuseAt('rcpt') ?? null);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const error = refuseAt('data');
          if (error) return callback(error);
          const envelope = session.envelope;
          messages.push({
            mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
            rcptTo: envelope.rcptTo.map((recipient) => recipient.address),
            raw: Buffer.concat(chunks),
          });
          for (const wake of waiters.splice(0)) wake();
          callback(null, 'Queued (test capture)');
        });
      },
    });

  const listen = async () => {
    const instance = create();
    await new Promise<void>((resolve, reject) => {
      instance.once('error', reject);
      instance.listen(port, '127.0.0.1', () => {
        instance.off('error', reject);
        resolve();
      });
    });
    instance.on('error', () => undefined);
    const address = instance.server.address();
    if (address && typeof address === 'object') port = address.port;
    server = instance;
  };

  const shutdown = async () => {
    const instance = server;
    server = undefined;
    if (!instance) return;
    for (const connection of (instance as unknown as { connections: Set<{ close(): void }> }).connections) connection.close();
    await new Promise<void>((resolve) => instance.close(() => resolve()));
  };

  await listen();

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get refusals() {
      return refusals;
    },
    refuse(code, options = {}) {
      refusal = { code, stage: options.stage ?? 'rcpt', remaining: options.times ?? Number.POSITIVE_INFINITY };
    },
    accept() {
      refusal = undefined;
    },
    stop: shutdown,
    async start() {
      if (!server) await listen();
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, captured ${messages.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages;
    },
    close: shutdown,
  };
}
