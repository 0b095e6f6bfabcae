// IPv4/IPv6 addresses and CIDR ranges for key allow-lists: parsed once, matched without allocation.
import { isIPv4, isIPv6 } from 'node:net';

export interface IpRange {
  version: 4 | 6;
  /** Network address as a 128-bit (v6) or 32-bit (v4) integer, host bits cleared. */
  network: bigint;
  prefix: number;
}

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4ToBigInt(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
}

/** Parses an address or a CIDR; undefined when it is neither (or a CIDR has host bits set). */
export function parseIpRange(text: string): IpRange | undefined {
  const [addr, bits, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const version = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : undefined;
  if (!version) return undefined;
  const width = version === 4 ? 32 : 128;
  let prefix = width;
  if (bits !== undefined) {
    if (!/^\d{1,3}$/.test(bits)) return undefined;
    prefix = Number(bits);
    if (prefix > width) return undefined;
  }
  const value = version === 4 ? v4ToBigInt(addr) : v6ToBigInt(addr);
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  if ((value & hostMask) !== 0n) return undefined;
  return { version, network: value, prefix };
}

/** Normalises an IPv4-mapped IPv6 client address (::ffff:a.b.c.d) to plain IPv4, as proxies report both. */
export function parseClientIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  // A zone id (fe80::1%eth0) names the interface, not the address: it is dropped, never parsed.
  const ip = mapped ? mapped[1] : text.replace(/%.*$/, '');
  if (isIPv4(ip)) return { version: 4, value: v4ToBigInt(ip) };
  if (isIPv6(ip)) return { version: 6, value: v6ToBigInt(ip) };
  return undefined;
}

export function ipInRanges(client: string, ranges: readonly IpRange[]): boolean {
  const ip = parseClientIp(client);
  if (!ip) return false;
  const width = ip.version === 4 ? 32 : 128;
  return ranges.some(
    (r) =>
      r.version === ip.version &&
      ip.value >> BigInt(width - r.prefix) === r.network >> BigInt(width - r.prefix),
  );
}
