// A counting TCP proxy in front of PostgreSQL for the intake benchmark's diagnosis (`--count-statements`): it reads
// the client side of the wire protocol and counts what deskbot sends (simple queries, extended-protocol executes,
// syncs = round trips), so statements per message can be read off a burst without pg_stat_statements.
import net from 'node:net';

export interface WireCounts {
  /** Simple-protocol queries ('Q'): each is a statement and a round trip (Prisma's BEGIN/COMMIT go this way). */
  query: number;
  /** Extended-protocol executes ('E'): one per statement with parameters. */
  execute: number;
  /** Syncs ('S'): one per extended-protocol round trip. */
  sync: number;
  /** Client connections opened. */
  connections: number;
  /** Statements by their text's start (whitespace folded), from 'Q' and 'P' (parse) messages. */
  byText: Record<string, number>;
}

export interface PgCounter {
  /** The database URL to give deskbot: the target's, pointed at the proxy. */
  url: string;
  counts: WireCounts;
  snapshot(): WireCounts;
  close(): Promise<void>;
}

const startupCodes = new Set([80877103 /* SSLRequest */, 80877104 /* GSSENCRequest */]);

export async function startPgCounter(targetUrl: string): Promise<PgCounter> {
  const target = new URL(targetUrl);
  const counts: WireCounts = { query: 0, execute: 0, sync: 0, connections: 0, byText: {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    counts.connections += 1;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    let started = false;
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          started = !startupCodes.has(pending.readInt32BE(4));
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const total = 1 + pending.readInt32BE(1);
        if (pending.length < total) break;
        const type = String.fromCharCode(pending[0]!);
        if (type === 'Q' || type === 'P') {
          // 'Q': the text follows; 'P': a statement name (NUL-terminated) comes first.
          let at = 5;
          if (type === 'P') at = pending.indexOf(0, 5) + 1;
          const end = pending.indexOf(0, at);
          const text = pending
            .toString('utf8', at, Math.min(end, at + 400))
            .replace(/\s+/g, ' ')
            .slice(0, 90);
          counts.byText[text] = (counts.byText[text] ?? 0) + 1;
        }
        if (type === 'Q') counts.query += 1;
        else if (type === 'E') counts.execute += 1;
        else if (type === 'S') counts.sync += 1;
        pending = pending.subarray(total);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(targetUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    counts,
    snapshot: () => ({ ...counts, byText: { ...counts.byText } }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
