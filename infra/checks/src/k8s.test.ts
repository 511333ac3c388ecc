import { execFileSync } from 'node:child_process';
import { envVarsOf, type AppName } from './app-config';
import { schemaErrors, unknownFieldErrors } from './k8s-validate';
import { renderKustomization, strategicMerge, type K8sObject } from './kustomize';
import { repoPath } from './paths';

const BASE = repoPath('infra/k8s/base');
const LOCAL = repoPath('infra/k8s/overlays/local');
const CLUSTER = repoPath('infra/k8s/overlays/cluster');
const base = renderKustomization(BASE);
const local = renderKustomization(LOCAL);
const cluster = renderKustomization(CLUSTER);

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
  ['overlays/cluster', cluster],
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
    for (const dir of [BASE, LOCAL, CLUSTER]) {
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseAllDocuments } = require('yaml') as typeof import('yaml');
      const theirs = parseAllDocuments(out).map((d) => d.toJS());
      expect(sorted(renderKustomization(dir))).toEqual(sorted(theirs));
    }
  });
});

describe('k8s overlays/cluster', () => {
  const containers = (kind: string, name: string): Obj[] =>
    find(cluster, kind, name).spec.template.spec.containers;
  const statefulSets = (cluster as Obj[]).filter((o) => o.kind === 'StatefulSet');

  it("is the local overlay in its own namespace, with ClickHouse's single server replaced by the cluster", () => {
    for (const o of cluster) {
      if (o.kind !== 'Namespace')
        expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([
          o.kind,
          o.metadata.name,
          'pitchpulse-cluster',
        ]);
    }
    expect(find(cluster, 'Namespace', 'pitchpulse-cluster')).toBeTruthy();
    expect(statefulSets.map((o) => o.metadata.name).sort()).toEqual([
      'clickhouse-keeper',
      'clickhouse-s1',
      'clickhouse-s2',
      'kafka',
    ]);
    const rest = (objects: K8sObject[]) =>
      objects
        .filter((o) => !['Namespace', 'StatefulSet'].includes(o.kind))
        .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(rest(cluster)).toEqual(expect.arrayContaining(rest(local)));
  });

  it('images are pinned; Keeper runs the same version as the servers', () => {
    const images = statefulSets.flatMap((s) =>
      s.spec.template.spec.containers.map((c: Obj) => c.image as string),
    );
    for (const image of images) expect(image).toMatch(/^[a-z0-9./-]+:\d[\w.-]*$/);
    const [server] = containers('StatefulSet', 'clickhouse-s1');
    const [keeper] = containers('StatefulSet', 'clickhouse-keeper');
    expect(keeper!.image).toBe(server!.image.replace('clickhouse-server:', 'clickhouse-keeper:'));
  });

  it('the shard StatefulSets differ only in their name and shard; selectors do not overlap', () => {
    const [one, two] = ['clickhouse-s1', 'clickhouse-s2'].map((n) => find(cluster, 'StatefulSet', n));
    const normalise = (s: Obj) =>
      JSON.stringify(s)
        .replaceAll(s.metadata.name, 'NAME')
        .replace(/"value":"0\d"/, '"value":"SHARD"');
    expect(normalise(one!)).toBe(normalise(two!));
    expect(one!.spec.selector.matchLabels).not.toEqual(two!.spec.selector.matchLabels);
  });

  it('Keeper and ClickHouse pods start together and get DNS names before they are ready', () => {
    for (const s of statefulSets.filter((o) => o.metadata.name.startsWith('clickhouse'))) {
      expect([s.metadata.name, s.spec.podManagementPolicy]).toEqual([s.metadata.name, 'Parallel']);
      const service = find(cluster, 'Service', s.spec.serviceName);
      expect([s.metadata.name, service.spec.clusterIP, service.spec.publishNotReadyAddresses]).toEqual([
        s.metadata.name,
        'None',
        true,
      ]);
    }
  });

  it('every app runs in cluster mode against the Service over all four nodes', () => {
    const common = find(cluster, 'ConfigMap', 'pitchpulse-common').data;
    expect(common.CLICKHOUSE_CLUSTER).toBe('pitchpulse');
    const service = find(cluster, 'Service', new URL(common.CLICKHOUSE_URL).hostname);
    const selected = statefulSets.filter((s) =>
      Object.entries(service.spec.selector).every(([k, v]) => s.spec.template.metadata.labels[k] === v),
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual(['clickhouse-s1', 'clickhouse-s2']);
    expect(
      service.spec.ports.find((p: Obj) => p.port === Number(new URL(common.CLICKHOUSE_URL).port)),
    ).toBeTruthy();
    const enricherEnv = containers('Deployment', 'pitchpulse-enricher')[0]!.env.map((e: Obj) => e.name);
    expect(enricherEnv).toContain('CLICKHOUSE_CLUSTER');
    expect(
      Number(find(cluster, 'ConfigMap', 'pitchpulse-consumer').data.FLUSH_MAX_EVENTS),
    ).toBeGreaterThanOrEqual(2000);
  });

  it('disruption budgets leave a Keeper quorum and a replica of every shard', () => {
    expect(find(cluster, 'PodDisruptionBudget', 'clickhouse-keeper').spec.maxUnavailable).toBe(1);
    expect(find(cluster, 'PodDisruptionBudget', 'clickhouse').spec.maxUnavailable).toBe(1);
  });
});

describe('strategicMerge', () => {
  it('merges maps and name-keyed lists (new items first, as kustomize), replaces other lists', () => {
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
        { name: 'z', v: 3 },
        { name: 'x', v: 9, keep: true },
        { name: 'y', v: 2 },
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
