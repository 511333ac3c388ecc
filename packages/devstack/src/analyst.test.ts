import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ANALYST_DATABASES,
  ANALYST_PASSWORD_FILE,
  ANALYST_PROFILE,
  ANALYST_USER,
  ClickHouseServer,
} from './clickhouse-server';
import { repoRoot } from './state';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** The analyst's profile settings, user and databases as a users file (any of the three) declares them. */
function declared(xml: string) {
  const within = (text: string, tag: string) =>
    new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text)?.[1] ?? '';
  const section = (tag: string, name: string) => within(within(xml, tag), name);
  const profile = Object.fromEntries(
    [...section('profiles', ANALYST_USER).matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map(([, k, v]) => [
      k,
      Number(v),
    ]),
  );
  const user = section('users', ANALYST_USER);
  return {
    profile,
    userProfile: /<profile>([^<]*)<\/profile>/.exec(user)?.[1],
    databases: [...user.matchAll(/<database>([^<]*)<\/database>/g)].map(([, d]) => d),
    passwordSha256: /<password_sha256_hex>([0-9a-f]*)<\/password_sha256_hex>/.exec(user)?.[1],
    plainPassword: /<password>/.test(user),
  };
}

describe('the analyst account in the embedded stack users.xml', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-analyst-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const passwordFile = () => path.join(dir, ANALYST_PASSWORD_FILE);
  const usersXml = () => fs.readFileSync(path.join(dir, 'users.xml'), 'utf8');

  it('gets a random password in a 0600 file; users.xml holds only its sha256, the profile and the databases', async () => {
    const server = await ClickHouseServer.create({ dataDir: dir });
    expect(server.analyst).toEqual({ user: 'analyst', passwordFile: passwordFile() });
    const password = fs.readFileSync(passwordFile(), 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(mode(passwordFile())).toBe(0o600);
    const xml = usersXml();
    expect(xml).not.toContain(password);
    expect(declared(xml)).toEqual({
      profile: ANALYST_PROFILE,
      userProfile: ANALYST_USER,
      databases: ANALYST_DATABASES,
      passwordSha256: sha256(password),
      plainPassword: false,
    });
    expect(ANALYST_PROFILE.readonly).toBe(1);
  });

  it('keeps the password across restarts; each new data folder gets its own', async () => {
    await ClickHouseServer.create({ dataDir: dir });
    const first = fs.readFileSync(passwordFile(), 'utf8');
    await ClickHouseServer.create({ dataDir: dir });
    expect(fs.readFileSync(passwordFile(), 'utf8')).toBe(first);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-analyst-'));
    try {
      await ClickHouseServer.create({ dataDir: other });
      expect(fs.readFileSync(path.join(other, ANALYST_PASSWORD_FILE), 'utf8')).not.toBe(first);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('a data folder from before the analyst existed gets one on its next start, data untouched', async () => {
    fs.mkdirSync(path.join(dir, 'data', 'pitchpulse'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'pitchpulse', 'kept'), 'x');
    fs.writeFileSync(path.join(dir, 'users.xml'), '<yandex><users><default/></users></yandex>\n');
    await ClickHouseServer.create({ dataDir: dir });
    const password = fs.readFileSync(passwordFile(), 'utf8').trim();
    expect(declared(usersXml()).passwordSha256).toBe(sha256(password));
    expect(fs.readFileSync(path.join(dir, 'data', 'pitchpulse', 'kept'), 'utf8')).toBe('x');
  });

  it('a password written by hand is used (its line break ignored), its file made 0600; an empty one is replaced', async () => {
    fs.writeFileSync(passwordFile(), 'chosen-by-hand\n', { mode: 0o644 });
    await ClickHouseServer.create({ dataDir: dir });
    expect(declared(usersXml()).passwordSha256).toBe(sha256('chosen-by-hand'));
    expect(mode(passwordFile())).toBe(0o600);
    fs.writeFileSync(passwordFile(), '\n');
    await ClickHouseServer.create({ dataDir: dir });
    const password = fs.readFileSync(passwordFile(), 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(declared(usersXml()).passwordSha256).toBe(sha256(password));
  });
});

describe('the analyst account is the same in the embedded stack, Docker Compose and Kubernetes', () => {
  const root = repoRoot(__dirname);
  const compose = fs.readFileSync(path.join(root, 'infra/clickhouse/users.d/analyst.xml'), 'utf8');
  const k8s = fs.readFileSync(path.join(root, 'infra/k8s/overlays/local/clickhouse-analyst.yaml'), 'utf8');

  it('Compose and Kubernetes: the same profile, databases and a sha256 from the environment, no password', () => {
    for (const xml of [compose, k8s]) {
      const { passwordSha256, ...account } = declared(xml);
      expect(passwordSha256).toBeUndefined();
      expect(account).toEqual({
        profile: ANALYST_PROFILE,
        userProfile: ANALYST_USER,
        databases: ANALYST_DATABASES,
        plainPassword: false,
      });
      expect(xml).toContain('<password_sha256_hex from_env="CLICKHOUSE_ANALYST_PASSWORD_SHA256"/>');
    }
  });

  it("the Kubernetes ConfigMap's analyst.xml is Compose's file, line for line", () => {
    const body = (text: string) => text.slice(text.indexOf('<clickhouse>'), text.indexOf('</clickhouse>'));
    const dedented = body(k8s)
      .split('\n')
      .map((line) => line.replace(/^ {4}/, ''))
      .join('\n');
    expect(dedented).toBe(body(compose));
  });
});
