import express, { type RequestHandler, type Router } from 'express';
import swaggerUi from 'swagger-ui-express';

/** GET /openapi.json and the Swagger UI at /docs. */
export function createDocsRouter(document: Record<string, unknown>): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const label: RequestHandler = (_req, res, next) => {
    res.locals.route = '/docs';
    next();
  };
  router.use(
    '/docs',
    label,
    swaggerUi.serve,
    swaggerUi.setup(document, { customSiteTitle: 'PitchPulse API' }),
  );
  return router;
}
