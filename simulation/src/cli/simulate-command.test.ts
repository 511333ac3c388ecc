import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApi } from '../testing/fake-api';
import { simulateMain } from './simulate-command';

describe('pnpm simulate (CLI)', () => {
  let out: string;
  let err: string;
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(['1.5', '-0.1', 'half', ''])('refuses --retract-share %p with exit status 2', async (value) => {
    expect(await simulateMain(['--retract-share', value])).toBe(2);
    expect(err).toContain("option '--retract-share <share>' argument");
    expect(err).toContain('must be a share from 0 to 1, e.g. 0.01 for 1 %');
  });

  it('takes shares from 0 to 1, and documents the option in --help', async () => {
    expect(await simulateMain(['--help'])).toBe(0);
    expect(out).toContain('--retract-share <share>');
    expect(out).toContain('Retractions: with --retract-share S each goal is disallowed with probability S');
    const dir = mkdtempSync(join(tmpdir(), 'pitchpulse-simulate-cli-'));
    for (const share of ['0', '1']) {
      const file = join(dir, `run-${share}.ndjson`);
      expect(
        await simulateMain(['--matches', '1', '--seed', '5', '--retract-share', share, '--export', file]),
      ).toBe(0);
      const retractions = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"kind":"retraction"'));
      expect(retractions.length > 0).toBe(share === '1');
    }
    expect(out).toMatch(/wrote \d+ records \(\d+ of them retractions\) of 1 matches/);
  });

  describe('--inject-anomalies and --anomaly-share', () => {
    it.each([
      [['--inject-anomalies', 'goal-burst,typo'], "option '--inject-anomalies <kinds>' argument"],
      [['--inject-anomalies', ''], 'must be a comma-separated list of source-velocity, duplicate-storm'],
      [['--inject-anomalies', 'all', '--anomaly-share', '0'], 'must be a share above 0 and at most 1'],
      [['--inject-anomalies', 'all', '--anomaly-share', '1.5'], 'must be a share above 0 and at most 1'],
      [['--anomaly-share', '0.5'], 'error: --anomaly-share needs --inject-anomalies'],
      [['--inject-anomalies', 'all', '--matches', '5'], 'needs at least 6 matches (one per kind), got 5'],
      [['--inject-anomalies', 'source-velocity'], 'source-velocity needs --duration 40 or more'],
      [
        ['--inject-anomalies', 'source-velocity', '--duration', '30'],
        'source-velocity needs --duration 40 or more',
      ],
      [
        ['--inject-anomalies', 'duplicate-storm', '--url', 'http://pitchpulse.example:8080'],
        'duplicate-storm needs the API on this machine: a separate source is a separate client address',
      ],
      [['--inject-anomalies', 'goal-burst', '--export', 'x.ndjson'], '--inject-anomalies needs a live run'],
    ])('refuses %j with exit status 2', async (argv, message) => {
      expect(await simulateMain(argv)).toBe(2);
      expect(err).toContain(message);
    });

    it('documents them in --help', async () => {
      expect(await simulateMain(['--help'])).toBe(0);
      expect(out).toContain('--inject-anomalies <kinds>');
      expect(out).toContain('--anomaly-share <share>');
      expect(out).toContain('pnpm simulate --matches 30 --duration 60 --inject-anomalies all --verify');
      expect(out).toContain('Timestamps: without --kickoff the matches kick off as early as needed');
    });
  });

  describe('against a local API', () => {
    let api: FakeApi;
    beforeEach(async () => {
      api = await new FakeApi().start();
    });
    afterEach(async () => {
      await api.stop();
    });
    const argv = () =>
      ['--url', api.url, '--matches', '2', '--seed', '99', '--batch', '100', '--retract-share', '1'].concat([
        '--verify',
        '--verify-timeout',
        '2',
        '--no-progress',
        '--json',
      ]);

    it('reports the retractions and passes --verify (exit 0)', async () => {
      expect(await simulateMain(argv())).toBe(0);
      const { report, verification } = JSON.parse(out);
      expect(report.retractions.sent).toBeGreaterThan(0);
      expect(report.retractions.accepted).toBe(report.retractions.sent);
      expect(verification.pass).toBe(true);
    });

    it('prints the honest kick-off and its replay, and passes --verify with nothing flagged', async () => {
      const started = Date.now();
      expect(await simulateMain(argv().filter((a) => a !== '--json'))).toBe(0);
      const [, kickoff] =
        /kickoff (\S+): no event stamped after it is sent; replay the same events and timestamps with --seed 99 --kickoff (\S+)\)/.exec(
          out,
        ) ?? [];
      expect(Date.parse(kickoff!)).toBeLessThan(started - 100 * 60_000);
      expect(out).toContain('Verification PASSED');
    });

    it('lists the injected anomalies, and fails --verify (exit 1) while the API flags none', async () => {
      const inject = ['--inject-anomalies', 'goal-burst,player-both-teams', '--anomaly-share', '1'];
      expect(await simulateMain([...argv(), ...inject])).toBe(1);
      const { report, verification } = JSON.parse(out);
      expect(report.anomalies).toEqual({ 'goal-burst': 1, 'player-both-teams': 1 });
      const problems = verification.matches.flatMap((m: { problems: string[] }) => m.problems);
      expect(problems).toEqual(
        expect.arrayContaining([
          'goal-burst injected but not flagged',
          'player-both-teams injected but not flagged',
        ]),
      );
      expect(verification.matches[0].anomalies.injected).toMatch(/goal-burst|player-both-teams/);
    });

    it('fails --verify (exit 1) when the API acknowledges retractions and ignores them', async () => {
      api.ignoreRetractions = true;
      expect(await simulateMain(argv())).toBe(1);
      const { verification } = JSON.parse(out);
      expect(verification.pass).toBe(false);
    });
  });
});
