import type { Request, RequestHandler } from 'express';
import { ProblemError } from './problem';

export interface TokenBucketOptions {
  /** Tokens added per second (sustained requests per second). */
  perSecond: number;
  /** Bucket size: how many requests may come at once after a quiet period. */
  burst: number;
  /** Buckets kept at most; full (idle) buckets are dropped first. */
  maxKeys?: number;
  now?: () => number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A token bucket per key (API key or client IP), in memory. */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('a token bucket needs perSecond > 0 and burst ≥ 1');
    }
    this.perMs = options.perSecond / 1000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, cost = 1): TakeResult {
    const bucket = this.refilled(key);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true };
    }
    return this.refusal(bucket.tokens, cost);
  }

  /**
   * Whether `take(key, cost)` would be allowed, without taking anything. A key without a bucket is answered as a
   * full one and gets none: peeking runs on every request (the API-key check), buckets only for who failed.
   */
  peek(key: string, cost = 1): TakeResult {
    const tokens = this.buckets.has(key) ? this.refilled(key).tokens : this.options.burst;
    return tokens >= cost ? { allowed: true } : this.refusal(tokens, cost);
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = { tokens: this.options.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + elapsed * this.perMs);
      bucket.updatedAt = now;
    }
    return bucket;
  }

  private refusal(tokens: number, cost: number): TakeResult {
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((cost - tokens) / this.options.perSecond)),
    };
  }

  /** Drops buckets that have refilled (same as absent); if none has, the oldest-created half. */
  private evict(now: number): void {
    const fullAfterMs = this.options.burst / this.perMs;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedAt >= fullAfterMs) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}

/** The client's address (behind `trust proxy`, the forwarded one). */
export const clientAddress = (req: Request): string => req.ip ?? 'unknown';

/** The bucket key of a client's address. */
export const addressKey = (req: Request): string => `ip:${clientAddress(req)}`;

/** 429 with Retry-After once the caller's bucket is empty; the caller is its API key, or else its IP. */
export function rateLimit(limiter: TokenBucketLimiter): RequestHandler {
  return (req, res, next) => {
    const key = (res.locals.client as string | undefined) ?? addressKey(req);
    const result = limiter.take(key);
    if (result.allowed) {
      next();
      return;
    }
    next(
      new ProblemError({
        type: 'rate-limited',
        status: 429,
        title: 'Too many requests',
        detail: `Rate limit exceeded for this ${key.startsWith('ip:') ? 'address' : 'API key'}; retry in ${result.retryAfterSeconds} s`,
        headers: { 'Retry-After': String(result.retryAfterSeconds) },
      }),
    );
  };
}
