/**
 * Every metric the alert rules and the dashboard name exists in the real apps' /metrics, and the dashboard's
 * ClickHouse queries run on the real schema: the built api, consumer and enricher run against the embedded stack,
 * events go through the pipeline (a goal becomes a READY highlight), then each is scraped.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@pitchpulse/devstack';
import { familyOf, parseExposition, type Exposition } from './exposition';
import { renderKustomization } from './kustomize';
import { allPromQueries, loadDashboards } from './monitoring';
import { repoPath } from './paths';
import { checkPromQL } from './promql';
import { startPipeline, stopProcess, type RunningPipeline, type RunningProcess } from './running-apps';

/** Series Prometheus itself makes, not the apps. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds']);
/**
 * Metrics more than one app exports on purpose, and how many do (the queries sum them across jobs): every other
 * metric comes from exactly one app. feed_anomalies_total: the api counts the source rules, the consumer the
 * match rules.
 */
const SHARED_METRICS: Record<string, number> = { feed_anomalies_total: 2 };

const suffix = randomUUID().slice(0, 8);
const matchId = `infra-checks-${suffix}`;
let pipeline: RunningPipeline | undefined;
let apiUrl = '';
let consumerUrl = '';
let enricherUrl = '';
const scraped: { api?: Exposition; consumer?: Exposition; enricher?: Exposition } = {};

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/**
 * Scrapes `url`/metrics until `missing` finds nothing missing in it (60 s at most) and returns that scrape. The
 * apps update a metric after the work it counts (the consumer its last-commit time once the offsets of the stored
 * rows are committed, the api a request once its response has closed), so one condition seen is not all seen.
 */
async function scrapeOnce(
  url: string,
  proc: RunningProcess,
  missing: (e: Exposition, text: string) => string[],
): Promise<Exposition> {
  let last: Exposition | undefined;
  let lacking: string[] = [];
  try {
    await waitFor(
      `${url}/metrics to report the traffic`,
      async () => {
        const text = await metrics(url);
        last = parseExposition(text);
        lacking = missing(last, text);
        return lacking.length === 0;
      },
      60_000,
      300,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; still missing: ${lacking.join(', ')}\n${proc.output()}`);
  }
  return last!;
}

const hasSeries = (e: Exposition, series: string, labels: Record<string, string> = {}): boolean =>
  (e.samples.get(series) ?? []).some((l) => Object.entries(labels).every(([k, v]) => l[k] === v));

async function clickhouse(query: string): Promise<Record<string, unknown>[]> {
  const url = new URL(process.env.CLICKHOUSE_URL!);
  url.searchParams.set('database', pipeline!.database);
  const res = await fetch(url, { method: 'POST', body: `${query}\nFORMAT JSON` });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text}\n${query}`);
  return (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
}

beforeAll(async () => {
  pipeline = await startPipeline(`infra-checks-${suffix}`);
  ({ apiUrl, consumerUrl, enricherUrl } = pipeline);
  const { api, consumer, enricher } = pipeline;

  // Traffic: a goal, a batch with a yellow card, a refused event; then wait for both rows in ClickHouse.
  const event = (eventType: string) => ({
    eventId: randomUUID(),
    matchId,
    eventType,
    timestamp: new Date().toISOString(),
    teamId: 1,
    playerId: 'player-1',
    metadata: { minute: 12 },
  });
  const post = (path: string, body: unknown) =>
    fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await post('/api/events', event('goal'))).status).toBe(202);
  expect((await post('/api/events/batch', { events: [event('yellow_card')] })).status).toBe(202);
  expect((await post('/api/events', { ...event('goal'), teamId: 3 })).status).toBe(400);
  // Both rows stored is not enough: the checks below also read the commit time and the lag.
  scraped.consumer = await scrapeOnce(consumerUrl, consumer, (e, text) => {
    const rows = [...text.matchAll(/^consumer_rows_inserted_total\{[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    return [
      ...(rows >= 2 ? [] : [`consumer_rows_inserted_total ${rows} of 2`]),
      ...(hasSeries(e, 'consumer_last_commit_timestamp_seconds')
        ? []
        : ['consumer_last_commit_timestamp_seconds']),
      ...(hasSeries(e, 'consumer_lag') ? [] : ['consumer_lag']),
    ];
  });
  // The goal becomes a READY highlight; the backlog gauges are set after the pass.
  scraped.enricher = await scrapeOnce(enricherUrl, enricher, (e) =>
    hasSeries(e, 'highlights_total', { status: 'READY' }) ? [] : ['highlights_total{status="READY"}'],
  );
  // The route templates the queries filter on are checked against the api's request metrics.
  scraped.api = await scrapeOnce(apiUrl, api, (e) =>
    ['/api/events', '/api/events/batch']
      .filter((route) => !hasSeries(e, 'http_requests_total', { method: 'POST', route }))
      .map((route) => `http_requests_total{route="${route}"}`),
  );
}, 240_000);

afterAll(() => pipeline?.stop(), 100_000);

describe('metrics named by infra/prometheus/alerts.yml and infra/grafana/dashboards', () => {
  const queries = allPromQueries();

  it.each(queries.map((q) => [q.where, q.expr]))(
    '%s: every metric exists in the apps’ /metrics',
    (_where, expr) => {
      const { selectors, errors } = checkPromQL(expr);
      expect(errors).toEqual([]);
      const sources = [scraped.api!, scraped.consumer!, scraped.enricher!];
      for (const s of selectors) {
        if (PROMETHEUS_SERIES.has(s.metric)) continue;
        const where = sources.filter((e) => familyOf(s.metric, e));
        expect([s.metric, where.length]).toEqual([s.metric, SHARED_METRICS[s.metric] ?? 1]);
        // Labels the query filters on must be labels the metric has (checked where the series has samples).
        const samples = where.flatMap((e) => e.samples.get(s.metric) ?? []);
        if (samples.length === 0) continue;
        const labels = new Set(samples.flatMap((l) => Object.keys(l)));
        for (const m of s.matchers)
          expect([s.metric, m.label, labels.has(m.label)]).toEqual([s.metric, m.label, true]);
        // Route templates must be ones the api really reports.
        for (const m of s.matchers.filter((x) => x.label === 'route' && (x.op === '=' || x.op === '=~'))) {
          const re = new RegExp(
            `^(?:${m.op === '=' ? m.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : m.value})$`,
          );
          expect([s.metric, m.value, samples.some((l) => re.test(l.route ?? ''))]).toEqual([
            s.metric,
            m.value,
            true,
          ]);
        }
      }
    },
  );

  it('the pipeline metrics moved: 2 events ingested, 2 rows inserted, lag and last commit reported', () => {
    const value = (e: Exposition, series: string) => (e.samples.get(series) ?? []).length;
    expect(value(scraped.api!, 'events_ingested_total')).toBeGreaterThanOrEqual(2); // goal + yellow_card series
    expect(value(scraped.consumer!, 'consumer_lag')).toBeGreaterThan(0);
    expect(value(scraped.consumer!, 'consumer_last_commit_timestamp_seconds')).toBeGreaterThan(0);
  });
});

describe('dashboard ClickHouse queries on the real schema', () => {
  const targets = loadDashboards()
    .flatMap((d) => d.targets)
    .filter((t) => t.rawSql);
  const expand = (sql: string) => {
    const now = Math.floor(Date.now() / 1000);
    return sql.replace(
      /\$__timeFilter\((\w+)\)/g,
      `$1 >= toDateTime(${now - 3600}) AND $1 <= toDateTime(${now + 3600})`,
    );
  };

  it('Top matches lists the match with its 2 distinct events', async () => {
    const t = targets.find((x) => x.panel === 'Top matches')!;
    const rows = await clickhouse(expand(t.rawSql!));
    expect(rows.find((r) => r.match_id === matchId)).toEqual({
      match_id: matchId,
      events: expect.anything(),
    });
    expect(Number(rows.find((r) => r.match_id === matchId)!.events)).toBe(2);
  });

  it('every ClickHouse panel query runs', async () => {
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const t of targets) {
      const rows = await clickhouse(expand(t.rawSql!));
      expect([t.panel, rows.some((r) => r.match_id === matchId)]).toEqual([t.panel, true]);
    }
    const cards = targets.find((x) => x.panel.startsWith('Top matches: goals'))!;
    const row = (await clickhouse(expand(cards.rawSql!))).find((r) => r.match_id === matchId)!;
    expect([row.goals, row.yellow_cards, row.red_cards].map(Number)).toEqual([1, 1, 0]);
  });
});

describe('drain times fit the Kubernetes grace periods', () => {
  it('SIGTERM: every app exits 0 well within terminationGracePeriodSeconds', async () => {
    const objects = renderKustomization(repoPath('infra/k8s/base'));
    const grace = (name: string) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as any).spec.template.spec
        .terminationGracePeriodSeconds as number;
    const a = await stopProcess(pipeline!.api, 45_000);
    const c = await stopProcess(pipeline!.consumer, 45_000);
    const n = await stopProcess(pipeline!.enricher, 45_000);
    expect([a.code, c.code, n.code]).toEqual([0, 0, 0]);
    expect(a.ms).toBeLessThan((grace('pitchpulse-api') - 5) * 1000);
    expect(c.ms).toBeLessThan(grace('pitchpulse-consumer') * 1000);
    expect(n.ms).toBeLessThan(grace('pitchpulse-enricher') * 1000);
    console.log(`drain on SIGTERM: api ${a.ms} ms, consumer ${c.ms} ms, enricher ${n.ms} ms`);
  }, 100_000);
});
