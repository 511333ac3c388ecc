#!/usr/bin/env node
// Container HEALTHCHECK for both images (node:*-slim has no curl): GET /health on the app's own port.
// api: PORT (default 8080); consumer: METRICS_PORT (default 9091); enricher: METRICS_PORT (default 9092).
// Exit 0 = healthy, 1 = unhealthy.
'use strict';

const app = process.env.PITCHPULSE_APP;
const DEFAULT_PORTS = { api: '8080', consumer: '9091', enricher: '9092' };
const port = (app === 'api' ? process.env.PORT : process.env.METRICS_PORT) || DEFAULT_PORTS[app] || '8080';

fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  (err) => {
    console.error(`healthcheck: ${err.message}`);
    process.exit(1);
  },
);
