import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ProblemError } from './problem';
import { addressKey, type TokenBucketLimiter } from './rate-limit';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `x-api-key` check when keys are configured (undefined = open API): 401 without a key, 403 with a wrong one.
 * Keys are compared as SHA-256 digests with timingSafeEqual, against every configured key (no early exit), so
 * the time taken says nothing about the key. The caller is named `key-N` (its position), never by the key.
 * With `failures`, every 401/403 takes a token from the client address's bucket; an address with none left is
 * answered 429 before its key is looked at, so keys cannot be guessed at speed.
 */
export function apiKeyAuth(keys: string[], failures?: TokenBucketLimiter): RequestHandler | undefined {
  if (keys.length === 0) return undefined;
  const digests = keys.map(digest);
  const refuse = (req: Request, problem: ProblemError): ProblemError => {
    failures?.take(addressKey(req));
    return problem;
  };
  return (req, res, next) => {
    const blocked = failures?.peek(addressKey(req));
    if (blocked && !blocked.allowed) {
      next(
        new ProblemError({
          type: 'rate-limited',
          status: 429,
          title: 'Too many failed API-key attempts',
          detail: `Too many requests with a missing or wrong API key from this address; retry in ${blocked.retryAfterSeconds} s`,
          headers: { 'Retry-After': String(blocked.retryAfterSeconds) },
        }),
      );
      return;
    }
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || given.length === 0) {
      next(
        refuse(
          req,
          new ProblemError({
            type: 'missing-api-key',
            status: 401,
            title: 'API key required',
            detail: 'Send your API key in the x-api-key header',
            headers: { 'WWW-Authenticate': 'ApiKey header="x-api-key"' },
          }),
        ),
      );
      return;
    }
    const givenDigest = digest(given);
    let match = -1;
    for (let i = 0; i < digests.length; i++) {
      if (timingSafeEqual(givenDigest, digests[i]!) && match === -1) match = i;
    }
    if (match === -1) {
      next(
        refuse(
          req,
          new ProblemError({
            type: 'invalid-api-key',
            status: 403,
            title: 'API key not accepted',
            detail: 'The x-api-key header does not hold an accepted key',
          }),
        ),
      );
      return;
    }
    res.locals.client = `key-${match + 1}`;
    next();
  };
}
