import fs from 'node:fs';
import { allPromQueries, loadAlertRules, loadDashboards } from './monitoring';
import { repoPath } from './paths';
import { checkPromQL } from './promql';
import { isObject, readYaml } from './yaml-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return out;
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

describe('infra/prometheus/prometheus.yml', () => {
  const config = readYaml(repoPath('infra/prometheus/prometheus.yml')) as Obj;
  it('loads the alert rules and scrapes every api replica and consumer', () => {
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const jobs = Object.fromEntries((config.scrape_configs as Obj[]).map((j) => [j.job_name, j]));
    expect(jobs.api.dns_sd_configs[0]).toMatchObject({ names: ['api'], type: 'A', port: 8080 });
    expect(jobs.consumer.dns_sd_configs[0]).toMatchObject({ names: ['consumer'], type: 'A', port: 9091 });
    for (const key of ['scrape_interval', 'scrape_timeout', 'evaluation_interval']) {
      expect(config.global[key]).toMatch(DURATION);
    }
  });
});

describe('infra/prometheus/alerts.yml', () => {
  const rules = loadAlertRules();
  const docs = anchors(fs.readFileSync(repoPath('docs/operations.md'), 'utf8'));

  it('has the alerts operators need', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'IngestErrorRateHigh',
        'IngestLatencyP99High',
        'KafkaProduceErrors',
        'ConsumerLagHigh',
        'ConsumerNoCommit',
        'ConsumerWaitingForClickHouse',
        'DLQGrowing',
        'FeedAnomalies',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(loadAlertRules().map((r) => [r.alert, r] as const))(
    '%s: valid PromQL, a for: duration, severity, summary, description and a runbook that exists',
    (_name, rule) => {
      expect(checkPromQL(rule.expr).errors).toEqual([]);
      expect(rule.for).toMatch(DURATION);
      expect(['page', 'ticket']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toEqual(expect.any(String));
      expect(rule.annotations.description).toEqual(expect.any(String));
      const [file, anchor] = rule.annotations.runbook_url!.split('#');
      expect(file).toBe('docs/operations.md');
      expect([...docs]).toContain(anchor);
      // Templates only use what Prometheus provides.
      for (const t of `${rule.annotations.summary} ${rule.annotations.description}`.matchAll(
        /\{\{([^}]*)\}\}/g,
      )) {
        expect(t[1]).toMatch(
          /^\s*\$(value|labels\.[a-z_]+)( \| (humanize|humanizePercentage|humanizeDuration))?\s*$/,
        );
      }
    },
  );
});

describe('docs/operations.md', () => {
  it('every in-page link points at a heading', () => {
    const text = fs.readFileSync(repoPath('docs/operations.md'), 'utf8');
    const headings = anchors(text);
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(3);
    expect(links.filter((l) => !headings.has(l))).toEqual([]);
  });
});

describe('infra/grafana/dashboards', () => {
  const dashboards = loadDashboards();
  const datasources = (readYaml(repoPath('infra/grafana/provisioning/datasources/datasources.yml')) as Obj)
    .datasources as Obj[];

  it('parse, with unique panel ids, a uid and panels on the 24-column grid', () => {
    expect(dashboards.length).toBeGreaterThan(0);
    for (const d of dashboards) {
      expect(d.json.uid).toEqual(expect.any(String));
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.panels) {
        const g = p.gridPos as Obj;
        expect(isObject(g)).toBe(true);
        expect([p.title, g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0]).toEqual([p.title, true]);
      }
    }
  });

  it('show ingest rate and latency, status codes, produce errors, lag, batch sizes, inserted rows, retry/DLQ, feed anomalies, top matches', () => {
    const text = JSON.stringify(dashboards.flatMap((d) => d.targets));
    for (const metric of [
      'events_ingested_total',
      'http_request_duration_seconds_bucket',
      'http_requests_total',
      'kafka_produce_errors_total',
      'consumer_lag',
      'consumer_batch_size',
      'consumer_rows_inserted_total',
      'consumer_retry_published_total',
      'consumer_dlq_published_total',
      'feed_anomalies_total',
    ]) {
      expect(text).toContain(metric);
    }
    expect(dashboards.flatMap((d) => d.panels).map((p) => p.title)).toContain('Top matches');
  });

  it('every target uses a provisioned data source', () => {
    const known = datasources.map((d) => `${d.type}:${d.uid}`);
    for (const t of dashboards.flatMap((d) => d.targets)) {
      expect([t.panel, known.includes(`${t.datasourceType}:${t.datasourceUid}`)]).toEqual([t.panel, true]);
      if (t.datasourceType === 'prometheus') expect(t.expr).toEqual(expect.any(String));
      else expect(t.rawSql).toMatch(/^SELECT /);
    }
  });

  it.each(
    allPromQueries()
      .filter((q) => !q.where.startsWith('alert '))
      .map((q) => [q.where, q.expr]),
  )('%s: valid PromQL', (_where, expr) => {
    expect(checkPromQL(expr).errors).toEqual([]);
  });
});
