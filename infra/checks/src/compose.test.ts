import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { PIPELINE_TOPICS, SERVICE_NODE_FLAGS } from '@pitchpulse/devstack';
import { envVarsOf, type AppName } from './app-config';
import { parseKeeperConfig } from './clickhouse-cluster';
import { mergeCompose } from './compose-merge';
import { repoPath } from './paths';
import { isObject, readYaml } from './yaml-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const compose = readYaml(repoPath('docker-compose.yml')) as Obj;
const services = compose.services as Record<string, Obj>;
const clusterOverride = readYaml(repoPath('infra/compose/cluster.yml')) as Obj;
/** `docker compose -f docker-compose.yml -f infra/compose/cluster.yml` */
const cluster = mergeCompose(compose, clusterOverride) as Obj;
const dockerfile = fs.readFileSync(repoPath('infra/docker/Dockerfile'), 'utf8');

/** The Compose Specification JSON Schema, as shipped by the dclint package (docker-compose linter). */
function composeSchema(): object {
  const dir = path.dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schemas', 'compose.schema.json'), 'utf8')) as Obj;
  // Draft-07, named by an https URL ajv does not list under that spelling: drop the name, keep draft-07 rules.
  expect(schema.$schema).toMatch(/draft-07/);
  delete schema.$schema;
  return schema;
}

function schemaErrors(model: Obj): string {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(composeSchema());
  validate(model);
  return ajv.errorsText(validate.errors, { separator: '\n' });
}

/** `127.0.0.1:8123:8123` → `127.0.0.1:8123`; `8080:8080` → `0.0.0.0:8080`; no host port → undefined. */
function hostPort(port: string): string | undefined {
  const parts = port.split(':');
  if (parts.length === 1) return undefined;
  return parts.length === 2 ? `0.0.0.0:${parts[0]}` : `${parts[0]}:${parts[1]}`;
}

describe.each([
  ['docker-compose.yml', compose],
  ['docker-compose.yml + infra/compose/cluster.yml', cluster],
])('%s', (_name, model) => {
  const all = model.services as Record<string, Obj>;

  it('is valid against the Compose Specification schema', () => {
    expect(schemaErrors(model)).toBe('No errors');
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(all)) {
      expect([name, s.image]).toEqual([name, expect.stringMatching(/^[a-z0-9./-]+:(v?\d[\w.-]*|local)$/)]);
      if (!s.build) expect([name, s.image]).toEqual([name, expect.not.stringMatching(/:local$/)]);
    }
  });

  it('every depends_on condition is satisfiable', () => {
    const imageHasHealthcheck = /^HEALTHCHECK /m.test(dockerfile);
    for (const [name, s] of Object.entries(all)) {
      for (const [dep, { condition }] of Object.entries((s.depends_on ?? {}) as Record<string, Obj>)) {
        const target = all[dep];
        expect([name, dep, Boolean(target)]).toEqual([name, dep, true]);
        if (condition === 'service_healthy') {
          const healthy = Boolean(target!.healthcheck) || (Boolean(target!.build) && imageHasHealthcheck);
          expect([name, dep, healthy]).toEqual([name, dep, true]);
        } else {
          expect([name, dep, condition, target!.restart]).toEqual([
            name,
            dep,
            'service_completed_successfully',
            'no',
          ]);
        }
      }
    }
  });

  it.each([
    ['api', 'api'],
    ['consumer', 'consumer'],
    ['enricher', 'enricher'],
  ] as const)('%s: built from the Dockerfile, only settings its config.ts reads', (service, app: AppName) => {
    const s = all[service]!;
    expect(s.build).toMatchObject({ dockerfile: 'infra/docker/Dockerfile', args: { APP: app } });
    const known = envVarsOf(app);
    expect(Object.keys(s.environment).filter((n) => !known.has(n))).toEqual([]);
    if (app !== 'enricher') expect(s.environment.KAFKA_BROKERS).toBe('kafka:9092');
    expect(s.environment.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
  });

  it('every file it mounts exists in the repository', () => {
    for (const [name, s] of Object.entries(all)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./'))
          expect([name, source, fs.existsSync(repoPath(source))]).toEqual([name, source, true]);
        else expect([name, source, source in (model.volumes ?? {})]).toEqual([name, source, true]);
      }
    }
  });

  it('no two services publish one host port; a service with replicas publishes none', () => {
    const published = Object.entries(all).flatMap(([name, s]) =>
      ((s.ports ?? []) as string[]).flatMap((p) => {
        const host = hostPort(p);
        return host ? [{ name, host }] : [];
      }),
    );
    const hosts = published.map((p) => p.host);
    expect(hosts.filter((h, i) => hosts.indexOf(h) !== i)).toEqual([]);
    for (const { name } of published) expect([name, all[name]!.deploy?.replicas ?? 1]).toEqual([name, 1]);
  });

  it('has no secret committed except documented local defaults', () => {
    for (const s of Object.values(all)) {
      for (const [k, v] of Object.entries((s.environment ?? {}) as Obj)) {
        if (/PASSWORD|API_KEYS/.test(k))
          expect([k, v]).toEqual([k, expect.stringMatching(/^\$\{[A-Z_]+:-[^}]*\}$/)]);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  it('the schema check catches a mistake', () => {
    const broken = structuredClone(compose);
    broken.services.api.depends_on.kafka = { condition: 'service_ready' };
    broken.services.consumer.helthcheck = {};
    const text = schemaErrors(broken);
    expect(text).toMatch(/allowed values|must be equal to one of/);
    expect(text).toMatch(/additional properties/);
  });

  it('starts in order', () => {
    // kafka → topics → apps → gateway; ClickHouse before the apps; Prometheus before Grafana.
    expect(services.api!.depends_on).toMatchObject({
      'kafka-init': { condition: 'service_completed_successfully' },
      clickhouse: { condition: 'service_healthy' },
    });
    expect(services.consumer!.depends_on).toMatchObject({
      'kafka-init': { condition: 'service_completed_successfully' },
      clickhouse: { condition: 'service_healthy' },
    });
    expect(services.gateway!.depends_on).toMatchObject({ api: { condition: 'service_healthy' } });
    expect(services.grafana!.depends_on).toMatchObject({ prometheus: { condition: 'service_healthy' } });
  });

  it('creates the pipeline topics with the partitions the embedded stack uses', () => {
    const script = (services['kafka-init']!.command as string[]).join('\n');
    for (const topic of PIPELINE_TOPICS) {
      expect(script).toMatch(
        new RegExp(`--topic ${topic.name.replace('.', '\\.')} --partitions ${topic.partitions}\\b`),
      );
    }
    expect(services.kafka!.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(services.kafka!.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('api: two replicas without host ports, published once through the gateway; stop grace covers the drains', () => {
    expect(services.api!.deploy.replicas).toBe(2);
    expect(services.api!.ports).toBeUndefined();
    expect(services.gateway!.ports).toEqual(['8080:8080']);
    expect(fs.readFileSync(repoPath('infra/nginx/nginx.conf'), 'utf8')).toMatch(/server api:8080/);
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);
    const apiDrain =
      (services.api!.environment.SHUTDOWN_DELAY_MS + services.api!.environment.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(seconds(services.api!.stop_grace_period)).toBeGreaterThan(apiDrain);
    expect(seconds(services.consumer!.stop_grace_period)).toBeGreaterThanOrEqual(30 + 5);
  });
});

describe('infra/compose/cluster.yml', () => {
  const merged = cluster.services as Record<string, Obj>;
  const serverImage = services.clickhouse!.image as string;
  const nodes = Object.keys(merged).filter((n) => merged[n]!.image === serverImage);
  const apps = ['api', 'consumer', 'enricher'];

  it('is valid on its own against the Compose Specification schema', () => {
    expect(schemaErrors(clusterOverride)).toBe('No errors');
  });

  it('runs four ClickHouse nodes exactly as docker-compose.yml runs its one (analyst secret, health check)', () => {
    expect(nodes).toEqual(['clickhouse', 'clickhouse-s1r2', 'clickhouse-s2r1', 'clickhouse-s2r2']);
    const same = ['entrypoint', 'command', 'secrets', 'ulimits', 'healthcheck', 'restart', 'logging'];
    const pick = (s: Obj) => Object.fromEntries(same.map((k) => [k, s[k]]));
    for (const node of nodes) {
      expect([node, pick(merged[node]!)]).toEqual([node, pick(services.clickhouse!)]);
      expect([node, merged[node]!.environment]).toEqual([
        node,
        expect.objectContaining(services.clickhouse!.environment),
      ]);
    }
  });

  it('every node: its own data volume, the cluster and analyst config, Keeper healthy first; one publishes ports', () => {
    const dataVolumes = nodes.map((n) => {
      const volumes = merged[n]!.volumes as string[];
      for (const mount of [
        './infra/clickhouse/cluster/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro',
        './infra/clickhouse/users.d/analyst.xml:/etc/clickhouse-server/users.d/analyst.xml:ro',
      ])
        expect([n, volumes]).toEqual([n, expect.arrayContaining([mount])]);
      expect([n, merged[n]!.depends_on]).toEqual([
        n,
        { 'clickhouse-keeper': { condition: 'service_healthy' } },
      ]);
      return volumes.find((v) => v.endsWith(':/var/lib/clickhouse'))!.split(':')[0];
    });
    expect(new Set(dataVolumes).size).toBe(nodes.length);
    expect(nodes.filter((n) => merged[n]!.ports)).toEqual(['clickhouse']);
  });

  it('Keeper: the server version, its config mounted, healthy when /ready on its http_control port answers', () => {
    const keeper = merged['clickhouse-keeper']!;
    expect(keeper.image).toBe(serverImage.replace('clickhouse-server:', 'clickhouse-keeper:'));
    expect(keeper.volumes).toContain(
      './infra/clickhouse/cluster/keeper.xml:/etc/clickhouse-keeper/keeper_config.xml:ro',
    );
    const config = parseKeeperConfig(
      fs.readFileSync(repoPath('infra/clickhouse/cluster/keeper.xml'), 'utf8'),
    );
    expect(keeper.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${config.httpControlPort}/ready`);
  });

  it('every app waits for every node to be healthy and runs in cluster mode', () => {
    for (const app of apps) {
      for (const node of nodes)
        expect([app, node, merged[app]!.depends_on[node]]).toEqual([
          app,
          node,
          { condition: 'service_healthy' },
        ]);
      expect([app, merged[app]!.environment.CLICKHOUSE_CLUSTER]).toEqual([app, 'pitchpulse']);
    }
  });

  it('consumer: two replicas, flushes of at least 1,000 events per shard', () => {
    const consumer = merged.consumer!;
    expect(consumer.deploy.replicas).toBe(2);
    expect(Number(consumer.environment.FLUSH_MAX_EVENTS)).toBeGreaterThanOrEqual(1000 * 2);
  });

  it('the merge keeps what the override does not change', () => {
    expect(merged.clickhouse!.ports).toEqual(services.clickhouse!.ports);
    expect(merged.clickhouse!.volumes).toEqual([
      ...services.clickhouse!.volumes,
      './infra/clickhouse/cluster/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro',
    ]);
    expect(merged.consumer!.deploy.resources).toEqual(services.consumer!.deploy.resources);
    expect(merged.api!.depends_on['kafka-init']).toEqual(services.api!.depends_on['kafka-init']);
  });
});

describe('mergeCompose', () => {
  it('follows the Compose merge rules it models', () => {
    const merged = mergeCompose(
      {
        services: {
          a: {
            environment: { A: 1, B: 2 },
            volumes: ['x:/data', './f:/etc/f:ro'],
            ports: ['1:1'],
            command: ['one', 'two'],
            deploy: { replicas: 1, resources: { limits: { cpus: '1' } } },
          },
        },
        volumes: { x: null },
      },
      {
        'x-anchor': { ignored: true },
        services: {
          a: {
            environment: { B: 3 },
            volumes: ['y:/data'],
            ports: ['2:2'],
            command: ['three'],
            deploy: { replicas: 2 },
          },
          b: { image: 'b:1' },
        },
        volumes: { y: null },
      },
    );
    expect(merged).toEqual({
      services: {
        a: {
          environment: { A: 1, B: 3 },
          volumes: ['./f:/etc/f:ro', 'y:/data'],
          ports: ['1:1', '2:2'],
          command: ['three'],
          deploy: { replicas: 2, resources: { limits: { cpus: '1' } } },
        },
        b: { image: 'b:1' },
      },
      volumes: { x: null, y: null },
    });
  });

  it('refuses what it does not model', () => {
    expect(() =>
      mergeCompose({ services: { a: {} } }, { services: { a: { extends: { service: 'b' } } } }),
    ).toThrow(/extends/);
    expect(() =>
      mergeCompose(
        { services: { a: { dns: ['1.1.1.1'], cap_add: ['X'] } } },
        { services: { a: { cap_add: ['Y'] } } },
      ),
    ).toThrow(/list merge/);
  });
});

describe('infra/docker/Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  it('is multi-stage: the build stage runs build-app.sh, the runtime stage copies only its output', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/BUILD_APP_IN_PLACE=1 bash infra\/docker\/build-app\.sh "\$APP" \/out/);
    expect(stages[1]).toMatch(/^COPY --from=build \/out\/ \.\/$/m);
    expect(stages[1]).not.toMatch(/^RUN /m);
  });
  it('runs as a non-root user with a HEALTHCHECK that needs no curl', () => {
    expect(stages[1]).toMatch(/^USER node$/m);
    expect(stages[1]).toMatch(/^HEALTHCHECK .* CMD \["node", "healthcheck\.js"\]$/m);
    // the node flags every other start uses (npm start, the benchmarks)
    const cmd = ['node', ...SERVICE_NODE_FLAGS, 'dist/main.js'].map((a) => JSON.stringify(a)).join(', ');
    expect(stages[1]).toContain(`\nCMD [${cmd}]\n`);
  });
  it('.dockerignore keeps node_modules, dist and .git out of the context', () => {
    const ignore = fs.readFileSync(repoPath('.dockerignore'), 'utf8').split('\n');
    for (const p of ['.git', '**/node_modules', '**/dist']) expect(ignore).toContain(p);
  });
});

describe('compose satellites', () => {
  it('the Grafana data sources are the ones the dashboards use', () => {
    const ds = readYaml(repoPath('infra/grafana/provisioning/datasources/datasources.yml')) as Obj;
    const uids = (ds.datasources as Obj[]).map((d) => `${d.type}:${d.uid}`);
    expect(uids).toEqual(['prometheus:prometheus', 'grafana-clickhouse-datasource:clickhouse']);
    const provider = readYaml(repoPath('infra/grafana/provisioning/dashboards/dashboards.yml')) as Obj;
    const mount = (services.grafana!.volumes as string[]).find((v) =>
      v.startsWith('./infra/grafana/dashboards:'),
    );
    expect(mount?.split(':')[1]).toBe(provider.providers[0].options.path);
    expect(isObject(provider)).toBe(true);
  });
});
