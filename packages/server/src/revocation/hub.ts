import type { RevocationLog, RevocationRecord } from '../store/types.js';

/** One revocation as published on the feed: the session id and the latest `exp` of its access tokens. */
export interface PublishedRevocation {
  readonly sid: string;
  /** epoch seconds */
  readonly exp: number;
  readonly reason: string;
}

/**
 * Something besides the durable log that revocations are pushed to as they happen — e.g. a Redis
 * pub/sub channel when scaled out (`openRedisRevocationPublisher` fits). `publish` must not throw for transient failures it can
 * retry itself; a throw is logged and the log-based feed still carries the entry.
 */
export interface RevocationBroadcaster {
  publish(entry: PublishedRevocation): Promise<void>;
  close?(): Promise<void>;
}

export type Wake = () => void;

/**
 * The auth server's side of the revocation feed. Every revocation is appended to the store's log
 * (durable, ordered, shared by every instance and the CLI: `seq` is the cursor), then the in-process
 * feed streams are woken at once. The log is also polled every `pollMs` while streams are open, so
 * revocations written by another process (a second instance, `latchkey users disable`) reach them
 * within a poll interval.
 */
export class RevocationHub {
  readonly #log: RevocationLog;
  readonly #pollMs: number;
  readonly #publishers: readonly RevocationBroadcaster[];
  readonly #onError: (err: unknown) => void;
  readonly #subscribers = new Set<Wake>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastPrune = 0;

  constructor(log: RevocationLog, options: { pollMs: number; publishers?: readonly RevocationBroadcaster[]; onError?: (err: unknown) => void }) {
    this.#log = log;
    this.#pollMs = options.pollMs;
    this.#publishers = options.publishers ?? [];
    this.#onError = options.onError ?? (() => {});
  }

  /** Records a revocation and wakes every stream. */
  async publish(entry: PublishedRevocation, now: number): Promise<void> {
    await this.#log.append(entry, now);
    // Entries are only needed until the tokens they cover expire; prune at most once a minute.
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      await this.#log.prune(Math.floor(now / 1000) - 300).catch(this.#onError);
    }
    this.#wakeAll();
    for (const p of this.#publishers) {
      try {
        await p.publish(entry);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  /** Entries after `afterSeq` still covering live tokens (exp not passed). */
  since(afterSeq: number, nowSeconds: number, limit = 1000): Promise<RevocationRecord[]> {
    return this.#log.since(afterSeq, nowSeconds, limit);
  }

  latestSeq(): Promise<number> {
    return this.#log.latestSeq();
  }

  /** Registers a stream; `wake` is called when new entries may exist. Returns the unsubscribe function. */
  subscribe(wake: Wake): () => void {
    this.#subscribers.add(wake);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#wakeAll(), this.#pollMs);
      this.#timer.unref();
    }
    return () => {
      this.#subscribers.delete(wake);
      if (this.#subscribers.size === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }

  #wakeAll(): void {
    for (const wake of [...this.#subscribers]) wake();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#subscribers.clear();
    for (const p of this.#publishers) await p.close?.().catch(this.#onError);
  }
}
