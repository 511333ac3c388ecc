import fs from 'node:fs';
import { substituteGrafanaVariables } from './promql';
import { repoPath } from './paths';
import { isObject, readYaml } from './yaml-files';

export const ALERTS_FILE = repoPath('infra/prometheus/alerts.yml');
export const DASHBOARDS_DIR = repoPath('infra/grafana/dashboards');

export interface AlertRule {
  group: string;
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The alerting rules of infra/prometheus/alerts.yml; throws when the file's shape is not Prometheus' rule format. */
export function loadAlertRules(file = ALERTS_FILE): AlertRule[] {
  const doc = readYaml(file);
  if (!isObject(doc) || !Array.isArray(doc.groups))
    throw new Error(`${file}: top level must be { groups: [...] }`);
  const rules: AlertRule[] = [];
  for (const group of doc.groups) {
    if (!isObject(group) || typeof group.name !== 'string' || !Array.isArray(group.rules)) {
      throw new Error(`${file}: every group needs a name and a list of rules`);
    }
    for (const rule of group.rules) {
      if (!isObject(rule) || typeof rule.alert !== 'string' || typeof rule.expr !== 'string') {
        throw new Error(`${file}: group ${group.name}: every rule needs alert and expr strings`);
      }
      const extra = Object.keys(rule).filter(
        (k) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k),
      );
      if (extra.length > 0) throw new Error(`${file}: ${rule.alert}: unknown keys ${extra.join(', ')}`);
      rules.push({
        group: group.name,
        alert: rule.alert,
        expr: rule.expr,
        for: typeof rule.for === 'string' ? rule.for : undefined,
        labels: (rule.labels ?? {}) as Record<string, string>,
        annotations: (rule.annotations ?? {}) as Record<string, string>,
      });
    }
  }
  return rules;
}

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  refId: string;
  datasourceUid: string;
  datasourceType: string;
  /** PromQL as written in the dashboard (Prometheus targets). */
  expr?: string;
  /** SQL (ClickHouse targets). */
  rawSql?: string;
}

export interface Dashboard {
  file: string;
  json: Record<string, unknown>;
  panels: Record<string, unknown>[];
  targets: DashboardTarget[];
}

export function loadDashboards(dir = DASHBOARDS_DIR): Dashboard[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = `${dir}/${f}`;
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const panels: Record<string, unknown>[] = [];
      for (const p of (json.panels ?? []) as Record<string, unknown>[]) {
        panels.push(p);
        for (const inner of (p.panels ?? []) as Record<string, unknown>[]) panels.push(inner);
      }
      const targets: DashboardTarget[] = [];
      for (const panel of panels) {
        for (const t of (panel.targets ?? []) as Record<string, unknown>[]) {
          const ds = (t.datasource ?? panel.datasource ?? {}) as { uid?: string; type?: string };
          targets.push({
            dashboard: f,
            panel: String(panel.title),
            refId: String(t.refId),
            datasourceUid: String(ds.uid),
            datasourceType: String(ds.type),
            expr: typeof t.expr === 'string' ? t.expr : undefined,
            rawSql: typeof t.rawSql === 'string' ? t.rawSql : undefined,
          });
        }
      }
      return { file, json, panels, targets };
    });
}

export interface NamedQuery {
  where: string;
  expr: string;
}

/** Every PromQL expression the alerts and dashboards evaluate (Grafana variables substituted). */
export function allPromQueries(): NamedQuery[] {
  const alerts = loadAlertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));
  const panels = loadDashboards()
    .flatMap((d) => d.targets)
    .filter((t) => t.datasourceType === 'prometheus')
    .map((t) => ({
      where: `${t.dashboard} panel "${t.panel}" ${t.refId}`,
      expr: substituteGrafanaVariables(t.expr ?? ''),
    }));
  return [...alerts, ...panels];
}
