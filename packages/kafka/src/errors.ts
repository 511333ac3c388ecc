/** Base class of every way a `GroupCommitProducer.send` can fail: callers map it to "try again later". */
export class ProduceError extends Error {
  override name = 'ProduceError';
}

/** Too many messages are already waiting for Kafka: shed load instead of queueing without bound. */
export class ProducerOverloadedError extends ProduceError {
  override name = 'ProducerOverloadedError';
  constructor(
    readonly queued: number,
    readonly limit: number,
  ) {
    super(`producer queue is full (${queued} of ${limit} messages waiting for Kafka)`);
  }
}

/** Kafka did not acknowledge within the send timeout. The messages may still land later (callers retry). */
export class ProduceTimeoutError extends ProduceError {
  override name = 'ProduceTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`);
  }
}

/** The producer is not connected yet, or is shutting down. */
export class ProducerClosedError extends ProduceError {
  override name = 'ProducerClosedError';
}

/** Kafka (or the client) refused the produce request; `cause` holds the client's error. */
export class ProduceFailedError extends ProduceError {
  override name = 'ProduceFailedError';
  constructor(cause: unknown) {
    super(`Kafka produce failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
