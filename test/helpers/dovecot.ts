// A throw-away Dovecot on a free loopback port (plain IMAP with STARTTLS and an implicit-TLS port when given a
// certificate, one static test user, maildir in a temp dir) for the IMAP suites and the intake benchmark.
// Where dovecot is absent the suites skip loudly; under CI=true they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort, portIsFree } from './net.ts';

export const dovecotBinary = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';

/** True when a Dovecot binary is installed; under CI=true a missing one throws instead. */
export function dovecotAvailable(): boolean {
  if (fs.existsSync(dovecotBinary)) return true;
  const message = `Dovecot not found at ${dovecotBinary} (apt-get install -y dovecot-imapd)`;
  if (process.env.CI === 'true') throw new Error(`${message}: required under CI=true`);
  console.warn(`\n*** ${message}: IMAP suites are SKIPPED ***\n`);
  return false;
}

/**
 * The IMAP_* settings that point deskbot at this server (plain IMAP on loopback). IMAP_START=all: suites append their
 * mail before deskbot's first start and expect it handled (the production default, new, would leave it alone).
 */
export function imapEnvOf(dovecot: Pick<Dovecot, 'host' | 'port' | 'user' | 'password'>): Record<string, string> {
  return {
    IMAP_HOST: dovecot.host,
    IMAP_PORT: String(dovecot.port),
    IMAP_SECURE: 'false',
    IMAP_USER: dovecot.user,
    IMAP_PASSWORD: dovecot.password,
    IMAP_START: 'all',
  };
}

/** Options of startDovecot: `tls` turns on STARTTLS on `port` and implicit TLS on `tlsPort` with this certificate. */
export interface DovecotOptions {
  tls?: { certFile: string; keyFile: string };
}

export interface Dovecot {
  host: string;
  port: number;
  /** The implicit-TLS (imaps) port when started with `tls`, else 0. */
  tlsPort: number;
  user: string;
  password: string;
  /** Temp directory holding config, maildir, state and log. */
  dir: string;
  /** APPENDs a message; resolves with its UID. */
  append(raw: string | Buffer, flags?: string[], mailbox?: string): Promise<number>;
  /** Runs `work` on an admin connection (kept open between calls, re-opened after a restart). */
  withClient<T>(work: (client: ImapFlow) => Promise<T>): Promise<T>;
  /** Flags of every message in a mailbox, by UID. */
  flags(mailbox?: string): Promise<Map<number, Set<string>>>;
  /** Stops and starts the server on the same port and maildir; existing connections drop. */
  restart(): Promise<void>;
  /** Stops the server, keeping port and maildir for `resume()` (an outage). */
  pause(): Promise<void>;
  /** Starts a paused server again; resolves once logins work. */
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** The server log, for diagnosing a failed test. */
  log(): string;
  /** PIDs of the server's child processes running `command` (e.g. 'imap': one per session). */
  childPids(command: string): number[];
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name}:`));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

type TlsListener = { certFile: string; keyFile: string; port: number };

function configText(dir: string, port: number, password: string, mailUser: { uid: number; gid: number }, tls?: TlsListener): string {
  const self = os.userInfo();
  const root = self.uid === 0;
  // Dovecot refuses to run login processes or mail access as root: use unprivileged system accounts then.
  const loginUser = root ? (systemUser('dovenull') ? 'dovenull' : 'nobody') : self.username;
  return `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
${tls ? `ssl = yes\nssl_cert = <${tls.certFile}\nssl_key = <${tls.keyFile}` : 'ssl = no'}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${self.username}
default_internal_group = ${root ? 'root' : self.username}
default_login_user = ${loginUser}
first_valid_uid = ${mailUser.uid}
last_valid_uid = 0
first_valid_gid = ${mailUser.gid}
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = static
  args = password=${password}
}
userdb {
  driver = static
  args = uid=${mailUser.uid} gid=${mailUser.gid} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tls ? tls.port : 0}
    ssl = ${tls ? 'yes' : 'no'}
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
`;
}

async function loginWorks(port: number, user: string, password: string): Promise<boolean> {
  // doSTARTTLS false: the helper's own connections stay plain even when the server offers STARTTLS.
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
    connectionTimeout: 2_000,
    greetingTimeout: 5_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    client.close();
    return false;
  }
}

/** Starts Dovecot and resolves once the test user can log in. */
export async function startDovecot(options: DovecotOptions = {}): Promise<Dovecot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-dovecot-'));
  fs.chmodSync(dir, 0o755);
  const self = os.userInfo();
  const mailUser = self.uid === 0 ? (systemUser('nobody') ?? { uid: 65534, gid: 65534 }) : { uid: self.uid, gid: self.gid };
  for (const sub of ['run', 'state', 'mail', 'home']) fs.mkdirSync(path.join(dir, sub));
  for (const sub of ['mail', 'home']) fs.chownSync(path.join(dir, sub), mailUser.uid, mailUser.gid);
  const port = await freePort();
  const user = 'support';
  const password = 'test-password';
  const configFile = path.join(dir, 'dovecot.conf');
  const tlsPort = options.tls ? await freePort() : 0;
  fs.writeFileSync(configFile, configText(dir, port, password, mailUser, options.tls ? { ...options.tls, port: tlsPort } : undefined));

  let child: ChildProcess | undefined;
  let admin: ImapFlow | undefined;

  const launch = async () => {
    // A restart waits until the last process of the previous server let go of its listening sockets.
    const ports = [port, ...(tlsPort ? [tlsPort] : [])];
    const freeBy = Date.now() + 20_000;
    while (!(await Promise.all(ports.map(portIsFree))).every(Boolean)) {
      if (Date.now() > freeBy) throw new Error(`dovecot's ports ${ports.join(', ')} are still in use`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const started = spawn(dovecotBinary, ['-F', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = started;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`dovecot exited with ${started.exitCode}: ${stderr}\n${readLog()}`);
      if (await loginWorks(port, user, password)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`dovecot did not accept logins on port ${port}:\n${readLog()}`);
  };

  const halt = async () => {
    if (admin) {
      admin.close();
      admin = undefined;
    }
    const running = child;
    if (!running || running.exitCode !== null) {
      child = undefined;
      return;
    }
    // Session and login processes can outlive the master (a slow SIGTERM ends in SIGKILL, which leaves them), holding
    // the clients' connections and the listening sockets: kill every one of them so clients really lose their
    // connections and a restart can listen again.
    const children = childPids();
    child = undefined;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  /** The master's child processes, all of them or those running `command`. */
  function childPids(command?: string): number[] {
    const master = child?.pid;
    if (!master) return [];
    const pids: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === master && (command === undefined || name === command)) pids.push(Number(entry));
      } catch {
        // the process ended while we looked
      }
    }
    return pids;
  }

  const readLog = () => {
    try {
      return fs.readFileSync(path.join(dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  };

  const adminClient = async (): Promise<ImapFlow> => {
    if (admin?.usable) return admin;
    admin?.close();
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    admin = client;
    return client;
  };

  // Admin calls are serialised so concurrent tests do not interleave mailbox selections.
  let queue: Promise<unknown> = Promise.resolve();
  const withClient = <T>(work: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const run = queue.then(async () => work(await adminClient()));
    queue = run.catch(() => undefined);
    return run;
  };

  process.once('exit', () => child?.kill('SIGKILL'));
  await launch();

  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    user,
    password,
    dir,
    append: (raw, flags, mailbox = 'INBOX') =>
      withClient(async (client) => {
        // imapflow drops flags the selected mailbox does not permit (a read-only EXAMINE permits none).
        if (client.mailbox) await client.mailboxClose();
        const appended = await client.append(mailbox, raw, flags ?? []);
        if (!appended || appended.uid === undefined) throw new Error(`APPEND to ${mailbox} returned no UID`);
        return appended.uid;
      }),
    withClient,
    flags: (mailbox = 'INBOX') =>
      withClient(async (client) => {
        const lock = await client.getMailboxLock(mailbox, { readOnly: true });
        try {
          const result = new Map<number, Set<string>>();
          if (client.mailbox && client.mailbox.exists > 0) {
            for await (const message of client.fetch('1:*', { uid: true, flags: true })) result.set(message.uid, message.flags ?? new Set());
          }
          return result;
        } finally {
          lock.release();
        }
      }),
    async restart() {
      await halt();
      await launch();
    },
    pause: () => halt(),
    resume: () => launch(),
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
    childPids,
  };
}
