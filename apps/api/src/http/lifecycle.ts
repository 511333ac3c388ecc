import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { ApiConfig } from '../config';
import { LinkedSet } from './linked-set';
import { sendProblem, serviceUnavailable, type ProblemError } from './problem';

/** Why a work request was shed: the in-flight limit, or the budget of body bytes in flight. */
export type ShedReason = 'in_flight' | 'body_bytes';

/**
 * Requests in flight (counted by the request observer through `begin`/`end`) and the draining flag: the basis
 * of load shedding (`shed`), readiness and the graceful drain on SIGTERM (`waitForIdle`).
 */
export class Lifecycle {
  private active = 0;
  private isDraining = false;
  /** Responses not yet sent, so a drain can ask their clients to reconnect elsewhere (see LinkedSet: not a Set). */
  private readonly pending = new LinkedSet<Response>();
  private idleWaiters: Array<() => void> = [];
  /** Long-lived responses (live streams) that no longer count as in flight. */
  private readonly detached = new WeakSet<Response>();
  /** Body bytes admitted by `shed` and not yet released, per response. */
  private readonly reserved = new WeakMap<Response, number>();
  private reservedBytes = 0;
  private readonly sheds = new Map<ShedReason, number>();
  private readonly refusals: Record<ShedReason, ProblemError>;
  private whenFull: (() => void) | undefined;
  readonly maxInFlight: number;
  private readonly maxBodyBytes: number;
  private readonly chunkedBodyBytes: number;

  /**
   * `maxInFlight`: requests being handled at most. `maxBodyBytes`: body bytes of admitted requests at most (as
   * declared by Content-Length; a chunked body counts as `chunkedBodyBytes`, the largest body a route takes).
   */
  constructor(limits: { maxInFlight: number; maxBodyBytes?: number; chunkedBodyBytes?: number }) {
    this.maxInFlight = limits.maxInFlight;
    this.maxBodyBytes = limits.maxBodyBytes ?? Infinity;
    this.chunkedBodyBytes = limits.chunkedBodyBytes ?? 0;
    // made once: an Error captures a stack trace, too dear for each request of a flood
    this.refusals = {
      in_flight: serviceUnavailable('overloaded', `More than ${this.maxInFlight} requests are in flight`, 1),
      body_bytes: serviceUnavailable(
        'overloaded',
        `Request bodies in flight would exceed ${this.maxBodyBytes} bytes; send again after Retry-After`,
        1,
      ),
    };
  }

  /** The limits the API's configuration sets (MAX_IN_FLIGHT, MAX_IN_FLIGHT_BODY_BYTES, MAX_BATCH_BODY_BYTES). */
  static forConfig(
    config: Pick<ApiConfig, 'maxInFlight' | 'maxInFlightBodyBytes' | 'maxBatchBodyBytes'>,
  ): Lifecycle {
    return new Lifecycle({
      maxInFlight: config.maxInFlight,
      maxBodyBytes: config.maxInFlightBodyBytes,
      chunkedBodyBytes: config.maxBatchBodyBytes,
    });
  }

  get inFlight(): number {
    return this.active;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  /** A request arrived: counted as in flight until `end`. */
  begin(res: Response): void {
    this.active++;
    if (this.isDraining) res.setHeader('Connection', 'close');
    else this.pending.add(res);
  }

  /** Its response is finished or its connection closed (call once per `begin`). */
  end(res: Response): void {
    if (this.detached.has(res)) return;
    this.active--;
    this.pending.delete(res);
    const bytes = this.reserved.get(res);
    if (bytes !== undefined) {
      this.reservedBytes -= bytes;
      this.reserved.delete(res);
    }
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * A response that stays open (a Server-Sent Events stream) stops counting as in flight: open streams must
   * neither hold the load-shedding limit nor the drain (their owner ends them when the API drains).
   */
  detach(res: Response): void {
    if (this.detached.has(res)) return;
    this.end(res);
    this.detached.add(res);
  }

  /**
   * Load shedding for work routes: 503 + Retry-After once `maxInFlight` requests are being handled, or when this
   * request's body would take the bodies in flight over `maxBodyBytes` (memory stays bounded for fat batches).
   */
  readonly shed: RequestHandler = (req, res, next) => {
    const refused = this.refusal(req.headers, this.active - 1);
    if (refused) {
      sendProblem(res, refused);
      return;
    }
    this.reserve(res, this.declaredBodyBytes(req.headers));
    next();
  };

  /**
   * The 503 a work request with these headers gets now, or undefined when it may go on; `othersInFlight` are the
   * requests being handled besides it. Decided on the request head alone: no byte of the body is read for it.
   */
  refusal(headers: IncomingHttpHeaders, othersInFlight: number): ProblemError | undefined {
    if (othersInFlight >= this.maxInFlight) {
      this.countShed('in_flight');
      this.whenFull?.();
      return this.refusals.in_flight;
    }
    const bytes = this.declaredBodyBytes(headers);
    if (bytes > 0 && this.reservedBytes + bytes > this.maxBodyBytes && this.reservedBytes > 0) {
      this.countShed('body_bytes');
      return this.refusals.body_bytes;
    }
    return undefined;
  }

  /**
   * Called each time a request is shed because `maxInFlight` requests are being handled: what the admitted ones
   * wait for (the producer's linger) need not wait for more company.
   */
  onFull(listener: () => void): void {
    this.whenFull = listener;
  }

  /** Work requests shed so far, by reason (`http_requests_shed_total`). */
  get shedCounts(): ReadonlyMap<ShedReason, number> {
    return this.sheds;
  }

  private countShed(reason: ShedReason): void {
    this.sheds.set(reason, (this.sheds.get(reason) ?? 0) + 1);
  }

  private reserve(res: Response, bytes: number): void {
    if (bytes > 0 && !this.detached.has(res) && !this.reserved.has(res)) {
      this.reserved.set(res, bytes);
      this.reservedBytes += bytes;
    }
  }

  private declaredBodyBytes(headers: IncomingHttpHeaders): number {
    const length = Number(headers['content-length']);
    if (Number.isFinite(length) && length > 0) return Math.min(length, this.chunkedBodyBytes || length);
    return headers['transfer-encoding'] !== undefined ? this.chunkedBodyBytes : 0;
  }

  /** From now on /ready answers 503 and responses (also those in flight) close their connections. */
  startDraining(): void {
    this.isDraining = true;
    for (const res of this.pending.takeAll()) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  /** Resolves true once no request is in flight, or false when `timeoutMs` passes first. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }
}
