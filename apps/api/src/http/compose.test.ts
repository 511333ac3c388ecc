import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { compose } from './compose';

const run = (handler: RequestHandler) =>
  new Promise<unknown>((resolve) => {
    const next: NextFunction = (err?: unknown) => resolve(err ?? 'next');
    void handler({} as Request, {} as Response, next);
  });

describe('compose', () => {
  it('runs the handlers in order and then calls next', async () => {
    const seen: number[] = [];
    const h =
      (n: number): RequestHandler =>
      (_req, _res, next) => {
        seen.push(n);
        next();
      };
    expect(await run(compose([h(1), h(2), h(3)]))).toBe('next');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops at the first error, passed or thrown', async () => {
    const seen: string[] = [];
    const ok: RequestHandler = (_req, _res, next) => {
      seen.push('ok');
      next();
    };
    const fails: RequestHandler = (_req, _res, next) => next(new Error('refused'));
    const throws: RequestHandler = () => {
      throw new Error('thrown');
    };
    expect(await run(compose([ok, fails, ok]))).toEqual(new Error('refused'));
    expect(await run(compose([throws, ok]))).toEqual(new Error('thrown'));
    expect(seen).toEqual(['ok']);
  });

  it('stops when a handler answers without calling next', async () => {
    const answered: RequestHandler = () => undefined;
    let reached = false;
    const after: RequestHandler = (_req, _res, next) => {
      reached = true;
      next();
    };
    const pending = run(compose([answered, after]));
    await new Promise((r) => setTimeout(r, 10));
    expect(reached).toBe(false);
    void pending;
  });
});
