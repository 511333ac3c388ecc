import { isLoopbackUrl, separateSourceUrl, sourceAddress } from './sources';

describe('separate sources', () => {
  it('number their loopback addresses from 127.0.0.2, host addresses only', () => {
    expect([1, 2, 253, 254, 255, 508].map(sourceAddress)).toEqual([
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.254',
      '127.0.1.1',
      '127.0.1.2',
      '127.0.2.1',
    ]);
    expect(() => sourceAddress(0)).toThrow(RangeError);
  });

  it('need the API on this machine', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://127.3.2.1',
      'http://localhost:80/x',
      'http://[::1]:8080',
    ])
      expect(isLoopbackUrl(url)).toBe(true);
    for (const url of ['http://10.0.0.5:8080', 'https://api.pitchpulse.example', 'http://128.0.0.1'])
      expect(isLoopbackUrl(url)).toBe(false);
  });

  it('send to an IPv4 loopback address (a socket bound to 127.0.0.x cannot reach ::1)', () => {
    expect(separateSourceUrl('http://localhost:8080/prefix')).toBe('http://127.0.0.1:8080/prefix');
    expect(separateSourceUrl('http://[::1]:8080')).toBe('http://127.0.0.1:8080');
    expect(separateSourceUrl('http://127.0.0.9:8080')).toBe('http://127.0.0.9:8080');
  });
});
