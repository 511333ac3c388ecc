import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { PIPELINE_TOPICS, SERVICE_NODE_FLAGS } from '@pitchpulse/devstack';
import { envVarsOf, type AppName } from './app-config';
import { repoPath } from './paths';
import { isObject, readYaml } from './yaml-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const compose = readYaml(repoPath('docker-compose.yml')) as Obj;
const services = compose.services as Record<string, Obj>;
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

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(composeSchema());
    const valid = validate(compose);
    expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
    expect(valid).toBe(true);
  });

  it('the schema check catches a mistake', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(composeSchema());
    const broken = structuredClone(compose);
    broken.services.api.depends_on.kafka = { condition: 'service_ready' };
    broken.services.consumer.helthcheck = {};
    expect(validate(broken)).toBe(false);
    const text = ajv.errorsText(validate.errors);
    expect(text).toMatch(/allowed values|must be equal to one of/);
    expect(text).toMatch(/additional properties/);
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, s.image]).toEqual([name, expect.stringMatching(/^[a-z0-9./-]+:(v?\d[\w.-]*|local)$/)]);
      if (!s.build) expect([name, s.image]).toEqual([name, expect.not.stringMatching(/:local$/)]);
    }
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  it('starts in order: every depends_on condition is satisfiable', () => {
    const imageHasHealthcheck = /^HEALTHCHECK /m.test(dockerfile);
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries((s.depends_on ?? {}) as Record<string, Obj>)) {
        const target = services[dep];
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

  it.each([
    ['api', 'api'],
    ['consumer', 'consumer'],
    ['enricher', 'enricher'],
  ] as const)('%s: built from the Dockerfile, only settings its config.ts reads', (service, app: AppName) => {
    const s = services[service]!;
    expect(s.build).toMatchObject({ dockerfile: 'infra/docker/Dockerfile', args: { APP: app } });
    const known = envVarsOf(app);
    expect(Object.keys(s.environment).filter((n) => !known.has(n))).toEqual([]);
    if (app !== 'enricher') expect(s.environment.KAFKA_BROKERS).toBe('kafka:9092');
    expect(s.environment.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
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

  it('every file it mounts exists in the repository', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./'))
          expect([name, source, fs.existsSync(repoPath(source))]).toEqual([name, source, true]);
      }
    }
  });

  it('has no secret committed except documented local defaults', () => {
    for (const s of Object.values(services)) {
      for (const [k, v] of Object.entries((s.environment ?? {}) as Obj)) {
        if (/PASSWORD|API_KEYS/.test(k))
          expect([k, v]).toEqual([k, expect.stringMatching(/^\$\{[A-Z_]+:-[^}]*\}$/)]);
      }
    }
  });
});

describe('infra/docker/Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  it('is multi-stage: the build stage runs build-app.sh, the runtime stage copies only its output', () => {
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
