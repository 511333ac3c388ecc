import { execFileSync } from 'node:child_process';
import { envVarsOf, type AppName } from './app-config';
import { schemaErrors, unknownFieldErrors } from './k8s-validate';
import { renderKustomization, strategicMerge, type K8sObject } from './kustomize';
import { repoPath } from './paths';

const BASE = repoPath('infra/k8s/base');
const LOCAL = repoPath('infra/k8s/overlays/local');
const base = renderKustomization(BASE);
const local = renderKustomization(LOCAL);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const find = (objects: K8sObject[], kind: string, name: string): Obj => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};
const sorted = (objects: unknown[]) =>
  [...(objects as K8sObject[])].sort((a, b) =>
    `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
  );

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.each([
  ['base', base],
  ['overlays/local', local],
])('k8s %s', (_name, objects) => {
  it('renders the expected objects', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const expected of [
      'Deployment/pitchpulse-api',
      'Deployment/pitchpulse-consumer',
      'Service/pitchpulse-api',
      'HorizontalPodAutoscaler/pitchpulse-api',
      'PodDisruptionBudget/pitchpulse-api',
      'PodDisruptionBudget/pitchpulse-consumer',
      'ConfigMap/pitchpulse-common',
      'Secret/pitchpulse-secrets',
    ]) {
      expect(kinds).toContain(expected);
    }
  });

  it('every object is valid against the Kubernetes OpenAPI schema', () => {
    const results = schemaErrors(objects);
    expect(results).toHaveLength(objects.length);
    const errors = objects.map((o, i) => [`${o.kind}/${o.metadata.name}`, results[i]]).filter(([, e]) => e);
    expect(errors).toEqual([]);
  });

  it('no object has a field Kubernetes does not know', () => {
    expect(unknownFieldErrors(objects)).toEqual([]);
  });

  it.each(['pitchpulse-api', 'pitchpulse-consumer'])('%s: probes, resources, non-root, selectors', (name) => {
    const d = find(objects, 'Deployment', name);
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(c.startupProbe.httpGet.path).toBe('/health');
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    for (const kind of ['requests', 'limits']) {
      expect(c.resources[kind]).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
    }
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    // Selector ⊆ pod labels; PDB and Service select the same pods.
    const podLabels = d.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(d.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(find(objects, 'PodDisruptionBudget', name).spec.selector.matchLabels);
    const port = c.ports[0];
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      expect([port.name, port.containerPort]).toContain(probe.httpGet.port);
    }
  });

  it('grace periods cover the drains: api preStop + 10 s, consumer flush 30 s', () => {
    const api = find(objects, 'Deployment', 'pitchpulse-api').spec.template.spec;
    const config = find(objects, 'ConfigMap', 'pitchpulse-api').data;
    const preStop = Number(api.containers[0].lifecycle.preStop.exec.command[1]);
    const drain = (Number(config.SHUTDOWN_DELAY_MS) + Number(config.SHUTDOWN_TIMEOUT_MS)) / 1000;
    const produce = Number(config.PRODUCE_TIMEOUT_MS) / 1000;
    expect(api.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + drain + produce);
    const consumer = find(objects, 'Deployment', 'pitchpulse-consumer').spec.template.spec;
    expect(consumer.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30 + 5);
  });

  it('the HPA scales the api Deployment on CPU; Services point at named container ports', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'pitchpulse-api');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'pitchpulse-api',
    });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    for (const svc of objects.filter((o) => o.kind === 'Service') as Obj[]) {
      const pods = (objects as Obj[]).filter(
        (o) =>
          ['Deployment', 'StatefulSet'].includes(o.kind) &&
          Object.entries(svc.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v),
      );
      expect(pods.length).toBeGreaterThan(0);
      const names = pods.flatMap((p) =>
        p.spec.template.spec.containers.flatMap((c: Obj) => c.ports.map((x: Obj) => x.name)),
      );
      for (const p of svc.spec.ports) expect(names).toContain(p.targetPort);
    }
  });

  it.each([
    ['pitchpulse-api', 'api'],
    ['pitchpulse-consumer', 'consumer'],
    ['pitchpulse-enricher', 'enricher'],
  ] as const)(
    '%s gets only settings its config.ts reads, and every referenced ConfigMap/Secret key exists',
    (name, app: AppName) => {
      const known = envVarsOf(app);
      const c = find(objects, 'Deployment', name).spec.template.spec.containers[0];
      const names: string[] = [];
      for (const from of c.envFrom ?? []) {
        const ref = from.configMapRef ?? from.secretRef;
        const source = find(objects, from.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
        names.push(...Object.keys(source.data ?? source.stringData));
      }
      for (const e of c.env ?? []) {
        names.push(e.name);
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (ref) {
          const source = find(objects, e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
          expect(Object.keys(source.data ?? source.stringData)).toContain(ref.key);
        }
      }
      expect(names.filter((n) => !known.has(n))).toEqual([]);
      const required = app === 'enricher' ? ['CLICKHOUSE_URL'] : ['KAFKA_BROKERS', 'CLICKHOUSE_URL'];
      for (const r of required) expect(names).toContain(r);
    },
  );
});

describe('k8s overlays/local', () => {
  it('runs the local images in its own namespace, with Kafka and ClickHouse beside them', () => {
    for (const o of local) {
      if (o.kind !== 'Namespace')
        expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'pitchpulse-local']);
    }
    expect(find(local, 'Deployment', 'pitchpulse-api').spec.template.spec.containers[0].image).toBe(
      'pitchpulse-api:local',
    );
    expect(find(local, 'ConfigMap', 'pitchpulse-common').data.KAFKA_BROKERS).toBe('kafka:9092');
    const job = find(local, 'Job', 'kafka-topics').spec.template.spec.containers[0].command.join(' ');
    expect(job).toMatch(/--topic match-events --partitions 6/);
  });

  (hasKubectl ? it : it.skip)('the renderer agrees with `kubectl kustomize`', () => {
    for (const dir of [BASE, LOCAL]) {
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseAllDocuments } = require('yaml') as typeof import('yaml');
      const theirs = parseAllDocuments(out).map((d) => d.toJS());
      expect(sorted(renderKustomization(dir))).toEqual(sorted(theirs));
    }
  });
});

describe('strategicMerge', () => {
  it('merges maps and name-keyed lists, replaces other lists', () => {
    const merged = strategicMerge(
      {
        a: 1,
        list: [
          { name: 'x', v: 1, keep: true },
          { name: 'y', v: 2 },
        ],
        plain: [1, 2],
      },
      {
        b: 2,
        list: [
          { name: 'x', v: 9 },
          { name: 'z', v: 3 },
        ],
        plain: [3],
      },
    );
    expect(merged).toEqual({
      a: 1,
      b: 2,
      list: [
        { name: 'x', v: 9, keep: true },
        { name: 'y', v: 2 },
        { name: 'z', v: 3 },
      ],
      plain: [3],
    });
  });
});

describe('the validators catch mistakes', () => {
  const deployment = (): K8sObject =>
    structuredClone(find(base, 'Deployment', 'pitchpulse-api')) as K8sObject;
  it('a wrong type', () => {
    const d = deployment() as Obj;
    d.spec.replicas = 'two';
    expect(schemaErrors([d as K8sObject])[0]).toMatch(/replicas must be integer/);
  });
  it('a misspelt field', () => {
    const d = deployment() as Obj;
    d.spec.template.spec.containers[0].livenesProbe = d.spec.template.spec.containers[0].livenessProbe;
    expect(unknownFieldErrors([d as K8sObject]).join('\n')).toMatch(/livenesProbe/);
  });
});
