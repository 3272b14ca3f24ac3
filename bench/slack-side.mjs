// The Slack side of bench:slack, run in a worker thread so that it never takes the server's event-loop turns: a stub
// Web API (every method ok) and response_url endpoint that note when each request's visible answer arrives, and a
// load generator that signs each request at send time (v0 HMAC) and sends on an open-loop schedule (a fixed rate,
// whatever the server does) or with a fixed concurrency (peak). Plain JavaScript: worker threads do not run tsx.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { parentPort } from 'node:worker_threads';

/** Web API calls and response_url answers by name, since the start. */
const counts = {};
/**
 * performance.now() of the first visible answer per request index: an answer in its HTTP acknowledgement, its
 * response_url answer or its views.open.
 */
let answers = new Map();
/** performance.now() of the Web API calls the outbox makes on its own (chat.postMessage, chat.update). */
const channelPosts = [];
let ts = 0;
/** Milliseconds the stub takes to answer (Slack's own latency; 0 on loopback), set by the first run message. */
let latencyMs = 0;

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const at = performance.now();
    const path = new URL(request.url || '/', 'http://stub').pathname;
    const key = path.startsWith('/api/') ? path.slice(5) : 'response_url';
    counts[key] = (counts[key] || 0) + 1;
    let index;
    if (key === 'response_url') index = Number(/^\/respond\/(\d+)$/.exec(path)?.[1]);
    // The trigger_id says which request opened the modal (form- or JSON-encoded: the pattern matches both).
    else if (key === 'views.open') index = Number(/trigger\.(\d+)\./.exec(Buffer.concat(chunks).toString('utf8'))?.[1]);
    else if (key === 'chat.update' || key === 'chat.postMessage') channelPosts.push(at);
    if (index !== undefined && Number.isInteger(index) && !answers.has(index)) answers.set(index, at);
    const body = key === 'response_url' ? 'ok' : JSON.stringify({ ok: true, ts: `1772445600.${String(++ts).padStart(6, '0')}`, channel: { id: 'DSTUB' } });
    const answer = () => {
      response.writeHead(200, { 'content-type': key === 'response_url' ? 'text/plain' : 'application/json' });
      response.end(body);
    };
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'stub', url: `http://127.0.0.1:${server.address().port}` }));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function fire(target, secret, request) {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${request.body}`).digest('hex')}`;
  const sentAt = performance.now();
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
      body: request.body,
    });
    const body = await response.text();
    const ackAt = performance.now();
    // An answer in the acknowledgement's body (help, a usage line) is what the engineer sees at once.
    if (body !== '' && !answers.has(request.index) && typeof JSON.parse(body).text === 'string') answers.set(request.index, ackAt);
    return { index: request.index, kind: request.kind, sentAt, ackAt, status: response.status };
  } catch {
    return { index: request.index, kind: request.kind, sentAt, ackAt: performance.now(), status: 0 };
  }
}

/** Open loop: request i leaves at start + i / rate, whether or not earlier ones were answered. */
async function atRate(target, secret, requests, rate) {
  const started = performance.now();
  const sending = [];
  for (let i = 0; i < requests.length; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0.5) await sleep(wait);
    sending.push(fire(target, secret, requests[i]));
  }
  return Promise.all(sending);
}

/** Closed loop: `concurrency` senders, each sending its next request when the previous one was acknowledged. */
async function withConcurrency(target, secret, requests, concurrency) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) results.push(await fire(target, secret, requests[next++]));
    }),
  );
  return results;
}

parentPort.on('message', async ({ target, secret, warmup, requests, rate, concurrency, quietMs, slackLatencyMs }) => {
  latencyMs = slackLatencyMs;
  for (const request of warmup) await fire(target, secret, request);
  await sleep(500);
  answers = new Map();
  const postsBefore = channelPosts.length;
  const firstSentAt = performance.now();
  const results = rate ? await atRate(target, secret, requests, rate) : await withConcurrency(target, secret, requests, concurrency);
  const sentMs = performance.now() - firstSentAt;
  // Wait for the answers: until every request has one, or none came for quietMs (some requests answer nothing).
  const expected = new Set(requests.map((request) => request.index));
  for (let seen = -1, quietSince = performance.now(); performance.now() - quietSince < quietMs; await sleep(50)) {
    const now = [...expected].filter((index) => answers.has(index)).length;
    if (now === expected.size) break;
    if (now !== seen) {
      seen = now;
      quietSince = performance.now();
    }
  }
  const rows = results.map((result) => {
    const answerAt = answers.get(result.index);
    const answerMs = answerAt === undefined ? null : answerAt - result.sentAt;
    return { kind: result.kind, status: result.status, ackMs: result.ackAt - result.sentAt, answerMs, answerAt };
  });
  const lastAnswerAt = Math.max(firstSentAt, ...rows.map((row) => row.answerAt ?? 0));
  parentPort.postMessage({
    type: 'done',
    rows: rows.map(({ answerAt: _answerAt, ...row }) => row),
    sentMs,
    lastAnswerMs: lastAnswerAt - firstSentAt,
    channelPosts: channelPosts.length - postsBefore,
    counts: { ...counts },
  });
});
