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

    it('fails --verify (exit 1) when the API acknowledges retractions and ignores them', async () => {
      api.ignoreRetractions = true;
      expect(await simulateMain(argv())).toBe(1);
      const { verification } = JSON.parse(out);
      expect(verification.pass).toBe(false);
    });
  });
});
