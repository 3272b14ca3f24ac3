// Which fetched message may be held and which may start: at most `limit` handlers running (plus one message fetched
// ahead), raw bytes within a budget, and never beside a running message from the same sender or the one it answers,
// so a quick follow-up sees its request's ticket committed. Pure counting; waiting is the caller's.

/** What the gate needs of a message's envelope (imapflow's FetchMessageObject['envelope'] fits). */
export interface GateEnvelope {
  from?: ReadonlyArray<{ address?: string | undefined }> | undefined;
  messageId?: string | undefined;
  inReplyTo?: string | undefined;
}

function senderKeys(envelope: GateEnvelope | undefined): string[] {
  return (envelope?.from ?? []).flatMap((address) => (address.address ? [`from:${address.address.toLowerCase()}`] : []));
}

/** What a running message is known by: its sender and its Message-ID. */
export function ownKeys(envelope: GateEnvelope | undefined): string[] {
  return [...senderKeys(envelope), ...(envelope?.messageId ? [`id:${envelope.messageId}`] : [])];
}

/** What a message must not run alongside: a message from its sender, or the message it answers (In-Reply-To). */
export function relatedKeys(envelope: GateEnvelope | undefined): string[] {
  return [...senderKeys(envelope), ...(envelope?.inReplyTo?.match(/<[^>]+>/g) ?? []).map((id) => `id:${id}`)];
}

export interface InFlightGateOptions {
  /** Handlers allowed to run at once now (1 while a retry is pending). */
  limit: () => number;
  /**
   * False when the handler keeps the order itself (the leader's store writes in call order and the workers apply
   * the sender / In-Reply-To rule): a message then never waits for a related one here.
   */
  related?: boolean;
  /** Raw bytes held at most; one message is always admitted. */
  maxBytes: number;
}

/** Counts the messages of one batch from fetch to mark. */
export class InFlightGate {
  /** Messages fetched (or being fetched) and not yet released. */
  held = 0;
  running = 0;
  heldBytes = 0;
  /** Senders and Message-IDs of the running messages, with how many hold each. */
  private readonly inHand = new Map<string, number>();

  constructor(private readonly options: InFlightGateOptions) {}

  /** Room to fetch one more message of `cost` bytes. */
  canHold(cost: number): boolean {
    return this.held < this.options.limit() + 1 && (this.held === 0 || this.heldBytes + cost <= this.options.maxBytes);
  }

  hold(cost: number): void {
    this.held += 1;
    this.heldBytes += cost;
  }

  /** A held message may start: a handler slot is free and nothing related to it runs. */
  canStart(envelope: GateEnvelope | undefined): boolean {
    if (this.running >= this.options.limit()) return false;
    return this.options.related === false || !relatedKeys(envelope).some((key) => this.inHand.has(key));
  }

  /** The message starts running; returns what ends its claim on its sender and Message-ID. */
  start(envelope: GateEnvelope | undefined): () => void {
    this.running += 1;
    const own = ownKeys(envelope);
    for (const key of own) this.inHand.set(key, (this.inHand.get(key) ?? 0) + 1);
    return () => {
      for (const key of own) {
        const left = (this.inHand.get(key) ?? 1) - 1;
        if (left > 0) this.inHand.set(key, left);
        else this.inHand.delete(key);
      }
    };
  }

  /** The message's raw bytes stop counting (its handler is done with them). */
  releaseBytes(bytes: number): void {
    this.heldBytes -= bytes;
  }

  /** The message leaves the batch (marked, failed or given up). */
  release(wasRunning: boolean): void {
    this.held -= 1;
    if (wasRunning) this.running -= 1;
  }
}
