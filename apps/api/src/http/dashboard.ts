import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Response, type Router } from 'express';
import { PROBLEM_CONTENT_TYPE } from '@pitchpulse/contract';

/** Cache-Control of the content-hashed files under assets/: a new build has new names. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Cache-Control of index.html (and other unhashed files): always revalidated, so a deploy shows at once. */
export const REVALIDATE = 'no-cache';

export interface DashboardOptions {
  /** The dashboard's built folder (index.html + assets/); default: `dist/` of the `@pitchpulse/dashboard` package. */
  dir?: string;
}

/** Where `@pitchpulse/dashboard` keeps its build, or undefined when the package is not installed. */
export function dashboardDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('@pitchpulse/dashboard/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

function notBuilt(res: Response, dir: string | undefined): void {
  const requestId = res.locals.requestId as string | undefined;
  res.locals.problemDetail = 'dashboard not built';
  res
    .status(503)
    .type(PROBLEM_CONTENT_TYPE)
    .setHeader('Cache-Control', 'no-store')
    .send(
      JSON.stringify({
        type: 'urn:pitchpulse:problem:dashboard-not-built',
        title: 'Dashboard not built',
        status: 503,
        detail:
          `The live dashboard has not been built${dir ? ` (no ${path.join(dir, 'index.html')})` : ''}: ` +
          'run `pnpm run build` (or `pnpm --filter @pitchpulse/dashboard build`). The API itself works: see /docs.',
        ...(requestId ? { requestId } : {}),
      }),
    );
}

/**
 * The live match dashboard (apps/dashboard) as static files at `/`: `index.html` revalidated on every load,
 * `assets/*` cached for a year as immutable. Mount it after the API's routes: it only answers GET/HEAD for
 * files that exist, and `/` with a 503 problem when the dashboard has not been built.
 */
export function createDashboardRouter(options: DashboardOptions = {}): Router {
  const dir = options.dir ?? dashboardDir();
  const router = express.Router();
  // Metrics label: one series for the page and one for its assets, never the raw path.
  const label =
    (route: string): RequestHandler =>
    (_req, res, next) => {
      res.locals.route = route;
      next();
    };
  const serve = dir
    ? express.static(dir, {
        index: 'index.html',
        redirect: false,
        fallthrough: true,
        dotfiles: 'ignore',
        cacheControl: false,
        setHeaders: (res, file) => {
          const relative = path.relative(dir, file);
          res.setHeader('Cache-Control', relative.startsWith(`assets${path.sep}`) ? IMMUTABLE : REVALIDATE);
        },
      })
    : undefined;

  router.get(['/', '/index.html'], label('/'), (req, res, next) => {
    if (!serve || !fs.existsSync(path.join(dir!, 'index.html'))) {
      notBuilt(res, dir);
      return;
    }
    serve(req, res, next);
  });
  if (serve) router.get('/assets/*file', label('/assets/*'), serve);
  return router;
}
