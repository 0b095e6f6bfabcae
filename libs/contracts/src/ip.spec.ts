import { ipInRanges, parseClientIp, parseIpRange, type IpRange } from './ip.js';

const ranges = (...list: string[]) => list.map((s) => parseIpRange(s) as IpRange);

describe('IP allow-list', () => {
  it('parses v4 and v6 addresses and CIDRs', () => {
    for (const ok of [
      '10.0.0.1',
      '10.0.0.0/8',
      '0.0.0.0/0',
      '::1',
      '2001:db8::/32',
      '::/0',
      'fe80::1/128',
      '::ffff:1.2.3.4',
    ]) {
      expect(parseIpRange(ok)).toBeDefined();
    }
  });

  it('rejects garbage, bad prefixes and CIDRs with host bits', () => {
    for (const bad of [
      '',
      'x',
      '10.0.0',
      '256.1.1.1',
      '10.0.0.1/33',
      '10.0.0.1/8',
      '2001:db8::1/32',
      '::1/129',
      '1.2.3.4/',
      '1.2.3.4/a',
      'fe80::1%eth0',
      '1.2.3.4/8/1',
    ]) {
      expect(parseIpRange(bad)).toBeUndefined();
    }
  });

  it('matches v4 addresses and CIDRs', () => {
    const r = ranges('10.0.0.0/8', '192.168.1.7');
    expect(ipInRanges('10.200.3.4', r)).toBe(true);
    expect(ipInRanges('192.168.1.7', r)).toBe(true);
    expect(ipInRanges('192.168.1.8', r)).toBe(false);
    expect(ipInRanges('11.0.0.1', r)).toBe(false);
  });

  it('matches v6 addresses and CIDRs, and IPv4-mapped client addresses against v4 ranges', () => {
    const r = ranges('2001:db8::/32', '::1', '127.0.0.0/8');
    expect(ipInRanges('2001:db8:ffff::5', r)).toBe(true);
    expect(ipInRanges('2001:db9::5', r)).toBe(false);
    expect(ipInRanges('::1', r)).toBe(true);
    expect(ipInRanges('::ffff:127.0.0.1', r)).toBe(true);
    expect(ipInRanges('not-an-ip', r)).toBe(false);
  });

  it('matches everything with /0 of the same family only', () => {
    expect(ipInRanges('8.8.8.8', ranges('0.0.0.0/0'))).toBe(true);
    expect(ipInRanges('::2', ranges('0.0.0.0/0'))).toBe(false);
  });
});

describe('client addresses with a zone id', () => {
  it('are read without their zone, never thrown on', () => {
    for (const text of ['fe80::1%eth0', '::%x', 'fe80::%1']) expect(() => parseClientIp(text)).not.toThrow();
    expect(parseClientIp('fe80::1%eth0')).toEqual(parseClientIp('fe80::1'));
  });
});
