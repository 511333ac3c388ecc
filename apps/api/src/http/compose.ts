import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs synchronous-style middlewares in order as one (no router layer, no path matching per step): the
 * first error or answer stops the chain. Each handler must call `next` or answer, as in express.
 */
export function compose(handlers: RequestHandler[]): RequestHandler {
  if (handlers.length === 1) return handlers[0]!;
  return (req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined) {
        next(err);
        return;
      }
      const handler = handlers[index++];
      if (!handler) {
        next();
        return;
      }
      try {
        void handler(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
