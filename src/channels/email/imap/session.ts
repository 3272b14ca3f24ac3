// One IMAP connection of the intake (imapflow): connect, open the mailbox, load the resume point, SEARCH, FETCH,
// mark processed, NOOP watchdog, LOGOUT. Every imapflow failure leaves here as a DeskbotError; no policy here.
import { ImapFlow, type FetchMessageObject, type ImapFlowError, type SearchObject } from 'imapflow';
import { DeskbotError } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { MailboxStateRepository } from '../../../store/mailbox-state-repository.ts';
import { imapError, imapflowLogger, imapflowReason, imapTlsHint } from './imap-errors.ts';
import { ResumeFrontier } from './resume-frontier.ts';
import type { ImapSettings, ImapTimings } from './settings.ts';

/** A UID set for one command: runs of consecutive UIDs as `a:b` (RFC 3501 9, sequence-set). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let index = 0; index < sorted.length; ) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end += 1;
    parts.push(end > index ? `${sorted[index]}:${sorted[end]}` : String(sorted[index]));
    index = end + 1;
  }
  return parts.join(',');
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeskbotError('IMAP_CONNECTION', `${what} got no answer within ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A folder path written with `/` between levels, with the server's hierarchy delimiter instead (none: kept as written). */
export function processedFolderPath(folder: string, delimiter: string | undefined): string {
  const levels = folder.split('/').filter((level) => level !== '');
  return delimiter ? levels.join(delimiter) : folder;
}

export interface ImapSessionOptions {
  settings: ImapSettings;
  timings: ImapTimings;
  state: MailboxStateRepository;
  log: Logger;
  /** The connection closed (by the server, the network or us). */
  onClose: () => void;
  /** The mailbox grew (an untagged EXISTS during IDLE). */
  onNewMail: () => void;
}

/** After a UIDVALIDITY change, mail received this long before deskbot last saved its position is re-scanned too (clocks differ). */
const uidValidityMarginMs = 10 * 60_000;

/** One connection to the intake mailbox, from connect to close. */
export class ImapSession {
  readonly client: ImapFlow;
  uidValidity = 0n;
  frontier: ResumeFrontier;
  /** New mail arrived (or a drain is owed) since the last drain. */
  newMail = true;
  closed = false;
  canFlag = true;
  private readonly settings: ImapSettings;
  private readonly where: string;

  constructor(private readonly options: ImapSessionOptions) {
    const { settings, timings, log } = options;
    this.settings = settings;
    this.where = `${settings.host}:${settings.port}`;
    this.processedPath = settings.processedFolder;
    this.frontier = new ResumeFrontier({ mailbox: settings.mailbox, uidValidity: 0n, lastUid: 0n });
    this.client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.user, pass: settings.password },
      tls: { rejectUnauthorized: settings.rejectUnauthorized, ...(settings.ca ? { ca: settings.ca } : {}) },
      clientInfo: { name: 'deskbot' },
      logger: imapflowLogger(log),
      disableAutoIdle: true,
      maxIdleTime: timings.maxIdleMs,
      connectionTimeout: timings.connectTimeoutMs,
      greetingTimeout: timings.connectTimeoutMs,
      socketTimeout: timings.socketTimeoutMs,
    });
    this.client.on('error', (error: ImapFlowError) => {
      const { reason, ...codes } = imapflowReason({ err: error });
      log.warn({ event: 'connection-error', reason: reason ?? 'no reason given', ...codes }, `IMAP connection error: ${reason ?? 'no reason given'}`);
    });
    this.client.on('close', () => {
      this.closed = true;
      options.onClose();
    });
    this.client.on('exists', (event) => {
      if (event.count > event.prevCount) {
        this.newMail = true;
        options.onNewMail();
      }
    });
  }

  /** The processed folder's path on this server (set by open() when the action is move). */
  processedPath: string;

  /** Connects, opens the mailbox and loads the resume point (reset when UIDVALIDITY changed). */
  async open(): Promise<void> {
    const { settings, where } = this;
    try {
      await this.client.connect();
    } catch (error) {
      this.closed = true;
      throw imapError(error, `Cannot connect to ${where} as ${settings.user}`, imapTlsHint(error, settings));
    }
    if (settings.processedAction === 'move') await this.ensureProcessedFolder();
    try {
      const mailbox = await this.client.mailboxOpen(settings.mailbox);
      this.uidValidity = BigInt(mailbox.uidValidity);
      const permanent = mailbox.permanentFlags;
      this.canFlag = !permanent || permanent.has('\\*') || permanent.has(settings.processedFlag);
      if (settings.processedAction === 'flag' && !this.canFlag) {
        this.options.log.error(
          { event: 'flag-not-permitted', flag: settings.processedFlag },
          `the server does not allow the flag ${settings.processedFlag}; relying on the resume point and Message-ID de-duplication`,
        );
      }
    } catch (error) {
      throw imapError(error, `Cannot open ${settings.mailbox} on ${where}`);
    }
    await this.loadResumePoint();
  }

  /**
   * Creates the processed folder when missing, its path written with the hierarchy delimiter the server announces
   * in LIST (IMAP_PROCESSED_FOLDER is written with `/`; RFC 3501 6.3.8). Failures name the folder.
   */
  private async ensureProcessedFolder(): Promise<void> {
    const { settings, where } = this;
    let delimiter = '/';
    try {
      const listed = await this.client.list();
      delimiter = listed.find((entry) => entry.path.toUpperCase() === 'INBOX')?.delimiter ?? listed.find((entry) => entry.delimiter)?.delimiter ?? '/';
    } catch (error) {
      throw imapError(error, `LIST failed on ${where}`);
    }
    this.processedPath = processedFolderPath(settings.processedFolder, delimiter);
    try {
      const created = await this.client.mailboxCreate(this.processedPath);
      if (created.created) this.options.log.info({ event: 'folder-created', folder: this.processedPath }, `created folder ${this.processedPath}`);
    } catch (error) {
      throw imapError(error, `Cannot create the processed folder ${this.processedPath} (IMAP_PROCESSED_FOLDER=${settings.processedFolder}) on ${where}`);
    }
  }

  /**
   * Loads the stored resume point. Without one, IMAP_START decides: `new` starts after the current last message
   * (the backlog is left alone), `since:` just before the first message the server received on or after that day,
   * `all` at the beginning. A UIDVALIDITY change (a rebuilt mailbox, another server) re-scans only mail received since
   * deskbot last saved its position there (a few minutes' margin): mail older than that was handled (flagged, moved,
   * or known by Message-ID) or left alone on purpose by IMAP_START, and answering it now would mail people by surprise.
   */
  private async loadResumePoint(): Promise<void> {
    const { settings } = this;
    const { log, state } = this.options;
    const stored = await state.get(settings.mailbox);
    if (stored && stored.uidValidity === this.uidValidity) {
      this.frontier = new ResumeFrontier(stored);
    } else {
      let lastUid = 0n;
      if (stored) {
        const since = stored.savedAt ? new Date(stored.savedAt.getTime() - uidValidityMarginMs) : undefined;
        if (since) lastUid = await this.lastUidBefore(since);
        log.warn(
          {
            event: 'uidvalidity-changed',
            previous: stored.uidValidity.toString(),
            current: this.uidValidity.toString(),
            lastUid: stored.lastUid.toString(),
            since: since?.toISOString() ?? null,
          },
          `UIDVALIDITY changed: re-scanning mail received since ${since?.toISOString() ?? 'the beginning'}; older mail is left alone, Message-ID de-duplication prevents double handling`,
        );
      } else {
        lastUid = await this.firstStartPoint();
      }
      this.frontier = new ResumeFrontier({ mailbox: settings.mailbox, uidValidity: this.uidValidity, lastUid });
      await state.save(this.frontier.position);
    }
    const lastUid = this.frontier.position.lastUid;
    log.info(
      {
        event: 'resumed',
        uidValidity: this.uidValidity.toString(),
        lastUid: lastUid.toString(),
        exists: this.client.mailbox ? this.client.mailbox.exists : undefined,
      },
      `reading ${settings.mailbox} after UID ${lastUid}`,
    );
  }

  /** The resume point of a first start, per IMAP_START. */
  private async firstStartPoint(): Promise<bigint> {
    const { settings } = this;
    const { log } = this.options;
    const start = settings.start ?? { kind: 'all' };
    if (start.kind === 'all') {
      const backlog = this.client.mailbox ? this.client.mailbox.exists : 0;
      log.info({ event: 'first-start', start: 'all', backlog }, `first start: working through all ${backlog} message(s) (IMAP_START=all)`);
      return 0n;
    }
    const lastUid = await this.lastUid();
    if (start.kind === 'new') {
      const existing = this.client.mailbox ? this.client.mailbox.exists : 0;
      log.info(
        { event: 'first-start', start: 'new', skipped: existing, lastUid: lastUid.toString() },
        `first start: ${existing} message(s) already in ${settings.mailbox} are left alone; only mail arriving from now on is handled (IMAP_START=new)`,
      );
      return lastUid;
    }
    const uids = await this.uidsSince(start.day);
    const first = uids.length ? uids.reduce((lowest, uid) => Math.min(lowest, uid), Number.POSITIVE_INFINITY) : undefined;
    const day = start.day.toISOString().slice(0, 10);
    log.info(
      { event: 'first-start', start: 'since', since: day, backlog: uids.length },
      `first start: working through ${uids.length} message(s) received since ${day}; older mail is left alone`,
    );
    return first === undefined ? lastUid : BigInt(first - 1);
  }

  /** The UIDs of the messages the server received on or after `day` (SEARCH SINCE: by day, in the server's zone). */
  private async uidsSince(day: Date): Promise<number[]> {
    try {
      const found = await this.client.search({ since: day }, { uid: true });
      return Array.isArray(found) ? found : [];
    } catch (error) {
      throw imapError(error, 'SEARCH SINCE failed');
    }
  }

  /** The UID of the last message now in the mailbox (UIDNEXT - 1, or the highest UID when the server gave no UIDNEXT). */
  private async lastUid(): Promise<bigint> {
    const uidNext = this.client.mailbox ? this.client.mailbox.uidNext : undefined;
    return uidNext ? BigInt(uidNext) - 1n : this.highestUid();
  }

  /**
   * The UID just before the first message the server received at or after `instant` (its INTERNALDATE), or the last
   * UID when none did. SEARCH SINCE has day granularity, so the day before is searched and the dates fetched.
   */
  private async lastUidBefore(instant: Date): Promise<bigint> {
    const uids = await this.uidsSince(new Date(instant.getTime() - 86_400_000));
    let first: number | undefined;
    if (uids.length) {
      try {
        // In slices: a long downtime can make the search return thousands of UIDs, too many for one command line.
        for (let start = 0; start < uids.length; start += 500) {
          const slice = uids.slice(start, start + 500).join(',');
          for await (const message of this.client.fetch(slice, { uid: true, internalDate: true }, { uid: true })) {
            const at = message.internalDate instanceof Date ? message.internalDate : message.internalDate ? new Date(message.internalDate) : undefined;
            if (at && at.getTime() >= instant.getTime() && (first === undefined || message.uid < first)) first = message.uid;
          }
        }
      } catch (error) {
        throw imapError(error, 'FETCH INTERNALDATE failed');
      }
    }
    return first !== undefined ? BigInt(first - 1) : this.lastUid();
  }

  /** The highest UID in the mailbox (0 when empty), for a server that announced no UIDNEXT on SELECT. */
  private async highestUid(): Promise<bigint> {
    let found: number[] | false | undefined;
    try {
      found = await this.client.search({ all: true }, { uid: true });
    } catch (error) {
      throw imapError(error, 'SEARCH ALL failed');
    }
    return BigInt(Array.isArray(found) ? found.reduce((highest, uid) => Math.max(highest, uid), 0) : 0);
  }

  /** LOGOUT when the connection still answers, then close. */
  async close(): Promise<void> {
    if (!this.closed && this.client.usable) {
      try {
        await withTimeout(this.client.logout(), this.options.timings.watchdogTimeoutMs, 'LOGOUT');
      } catch (error) {
        this.options.log.debug({ event: 'logout-failed', detail: (error as Error).message });
      }
    }
    this.client.close();
    this.closed = true;
  }

  /** NOOP: a connection that does not answer in time is closed (the loop then reconnects). */
  async watchdog(): Promise<void> {
    try {
      await withTimeout(this.client.noop(), this.options.timings.watchdogTimeoutMs, 'NOOP');
    } catch (error) {
      this.options.log.warn({ event: 'watchdog-failed', detail: (error as Error).message }, 'the IMAP connection stopped answering; reconnecting');
      this.client.close();
    }
  }

  /** Starts IDLE; it ends when the next command is sent or the server breaks it. */
  idle(): void {
    this.client.idle().catch((error: unknown) => this.options.log.debug({ event: 'idle-ended', detail: (error as Error)?.message }));
  }

  /** Unprocessed UIDs above the resume point, ascending. */
  async candidates(): Promise<number[]> {
    const { settings } = this;
    const query: SearchObject = { uid: `${this.frontier.searchFrom}:*` };
    if (settings.processedAction === 'flag' && this.canFlag) query.unKeyword = settings.processedFlag;
    let found: number[] | false | undefined;
    try {
      found = await this.client.search(query, { uid: true });
    } catch (error) {
      throw imapError(error, 'SEARCH failed');
    }
    if (!Array.isArray(found)) throw new DeskbotError('IMAP_CONNECTION', 'SEARCH failed', { retryable: true });
    return this.frontier.candidates(found);
  }

  async fetchEnvelopes(uids: number[]): Promise<Map<number, FetchMessageObject>> {
    let found: FetchMessageObject[];
    try {
      found = await this.client.fetchAll(uidSet(uids), { uid: true, size: true, flags: true, envelope: true, internalDate: true }, { uid: true });
    } catch (error) {
      throw imapError(error, `FETCH of ${uids.length} envelopes failed`);
    }
    return new Map(found.map((message) => [message.uid, message]));
  }

  /** The whole sources of `uids` in one `UID FETCH <set> BODY.PEEK[]`, by UID; a message gone is missing from the map. */
  async fetchSources(uids: readonly number[]): Promise<Map<number, Buffer>> {
    try {
      const found = await this.client.fetchAll(uidSet(uids), { uid: true, source: true }, { uid: true });
      return new Map(found.flatMap((message) => (message.source ? [[message.uid, message.source] as const] : [])));
    } catch (error) {
      throw imapError(error, `FETCH of ${uids.length} message(s) failed`);
    }
  }

  /** The whole source, or only the header block when `headersOnly`; undefined when the message is gone. */
  async fetchOne(uid: number, headersOnly: boolean): Promise<Buffer | undefined> {
    try {
      const query = headersOnly ? { uid: true, headers: true } : { uid: true, source: true };
      const found = await this.client.fetchOne(String(uid), query, { uid: true });
      if (!found) return undefined;
      return headersOnly ? found.headers : found.source;
    } catch (error) {
      throw imapError(error, `FETCH of UID ${uid} failed`);
    }
  }

  /** Flags (or moves) messages whose handlers committed: one STORE or MOVE for all of them. */
  async markProcessed(uids: number[]): Promise<void> {
    const { settings } = this;
    const range = uidSet(uids);
    try {
      if (settings.processedAction === 'move') {
        const moved = await this.client.messageMove(range, this.processedPath, { uid: true });
        if (!moved) throw new Error(`MOVE to ${this.processedPath} was refused`);
      } else if (this.canFlag) {
        const flagged = await this.client.messageFlagsAdd(range, [settings.processedFlag], { uid: true });
        if (!flagged) throw new Error(`STORE +FLAGS ${settings.processedFlag} was refused`);
      }
    } catch (error) {
      const how = settings.processedAction === 'move' ? `moved to ${this.processedPath}` : 'processed';
      throw imapError(error, `Cannot mark UID ${range} ${how}`);
    }
  }
}
