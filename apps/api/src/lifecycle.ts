import type { RequestHandler, Response } from 'express';
import { sendProblem, serviceUnavailable } from './problem';

/**
 * Requests in flight (counted by the request observer through `begin`/`end`) and the draining flag: the basis
 * of load shedding (`shed`), readiness and the graceful drain on SIGTERM (`waitForIdle`).
 */
export class Lifecycle {
  private active = 0;
  private isDraining = false;
  /** Responses not yet sent, so a drain can ask their clients to reconnect elsewhere. */
  private readonly pending = new Set<Response>();
  private idleWaiters: Array<() => void> = [];
  /** Long-lived responses (live streams) that no longer count as in flight. */
  private readonly detached = new WeakSet<Response>();

  constructor(readonly maxInFlight: number) {}

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

  /** Load shedding for work routes: 503 + Retry-After once `maxInFlight` requests are being handled. */
  readonly shed: RequestHandler = (_req, res, next) => {
    if (this.active > this.maxInFlight) {
      sendProblem(
        res,
        serviceUnavailable('overloaded', `More than ${this.maxInFlight} requests are in flight`, 1),
      );
      return;
    }
    next();
  };

  /** From now on /ready answers 503 and responses (also those in flight) close their connections. */
  startDraining(): void {
    this.isDraining = true;
    for (const res of this.pending) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.pending.clear();
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
