// Where webhooks may send: a tenant must not use key-service to reach what only key-service can reach
// (loopback, private networks, link-local and cloud metadata endpoints). Checked when a webhook is created
// or changed, and again inside every delivery's own DNS lookup, so a name that resolved to a public address
// at create time and to 10.0.0.1 later (DNS rebinding) still cannot be reached. The operator may list
// networks that are allowed anyway (WEBHOOK_ALLOWED_NETWORKS). What a tenant reads (a 400 message, a
// delivery's last_error) never says what a name resolved to: that would map the internal DNS. The resolved
// address goes to the service's own debug log only.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { type IpRange, parseClientIp, parseIpRange } from '@gw/contracts';

export interface DestinationSettings {
  allowHttp: boolean;
  /** Addresses or CIDRs allowed although they are in a refused range. */
  allowedNetworks: readonly string[];
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

/** Where a refusal's details (the name and the address it resolved to) go: the service's debug log. */
export type RefusalLog = (detail: { host: string; address: string; why: string }) => void;

/** What a tenant is told when a name resolves to a refused address. */
export const NON_PUBLIC = 'resolves to a non-public address';

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Names of cloud metadata services, refused whatever they resolve to. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

interface Block {
  range: IpRange;
  label: string;
}
const blocks = (label: string, ...cidrs: string[]): Block[] =>
  cidrs.map((c) => ({ range: parseIpRange(c)!, label }));

const V4_REFUSED: Block[] = [
  ...blocks('a "this network" address', '0.0.0.0/8'),
  ...blocks('a loopback address', '127.0.0.0/8'),
  ...blocks('a private address', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'),
  ...blocks('a shared (CGNAT) address', '100.64.0.0/10'),
  ...blocks('a link-local or metadata address', '169.254.0.0/16'),
  ...blocks('a multicast address', '224.0.0.0/4'),
  ...blocks(
    'a reserved address',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.88.99.0/24',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '240.0.0.0/4',
  ),
];

// IPv6 outside these is refused as reserved: only global unicast (2000::/3) is public.
const V6_REFUSED: Block[] = [
  ...blocks('a loopback address', '::1/128'),
  ...blocks('an unspecified address', '::/128'),
  ...blocks('a private (unique local) address', 'fc00::/7'),
  ...blocks('a link-local address', 'fe80::/10'),
  ...blocks('a multicast address', 'ff00::/8'),
  // Inside 2000::/3 but not public: IETF assignments (Teredo, benchmarking, ORCHID), docs, 6to4.
  ...blocks('a reserved address', '2001::/23', '2001:db8::/32', '2002::/16', '3fff::/20'),
];
const GLOBAL_UNICAST = parseIpRange('2000::/3')!;
/** IPv4 inside IPv6: mapped (::ffff:a.b.c.d) and the NAT64 well-known prefix judge the IPv4 address. */
const V4_IN_V6 = [parseIpRange('::ffff:0:0/96')!, parseIpRange('64:ff9b::/96')!];

interface Addr {
  version: 4 | 6;
  value: bigint;
}

function inRange(a: Addr, r: IpRange): boolean {
  if (a.version !== r.version) return false;
  const shift = BigInt((a.version === 4 ? 32 : 128) - r.prefix);
  return a.value >> shift === r.network >> shift;
}

/**
 * Why an address may not be reached, or undefined when it may: refused ranges (and IPv4 addresses embedded
 * in IPv6) unless an allowed network contains the address.
 */
export function refusedAddress(ip: string, allowed: readonly IpRange[]): string | undefined {
  const parsed = parseClientIp(ip);
  if (!parsed) return `"${ip}" is not an IP address`;
  const forms: Addr[] = [parsed];
  if (parsed.version === 6 && V4_IN_V6.some((r) => inRange(parsed, r))) {
    forms.push({ version: 4, value: parsed.value & 0xffffffffn });
  }
  if (forms.some((a) => allowed.some((r) => inRange(a, r)))) return undefined;
  const judged = forms[forms.length - 1];
  const table = judged.version === 4 ? V4_REFUSED : V6_REFUSED;
  const hit = table.find((b) => inRange(judged, b.range));
  if (hit) return `${ip} is ${hit.label}`;
  if (judged.version === 6 && !inRange(judged, GLOBAL_UNICAST)) return `${ip} is a reserved address`;
  return undefined;
}

export class DestinationPolicy {
  private readonly allowed: IpRange[];

  constructor(
    private readonly settings: DestinationSettings,
    private readonly resolve: Resolver = systemResolver,
    private readonly logRefusal: RefusalLog = () => undefined,
  ) {
    this.allowed = settings.allowedNetworks.map((n) => {
      const r = parseIpRange(n);
      if (!r) throw new Error(`Invalid allowed webhook network "${n}".`);
      return r;
    });
  }

  refusedAddress(ip: string): string | undefined {
    return refusedAddress(ip, this.allowed);
  }

  /** What can be decided from the URL alone: scheme, credentials, IP literals, metadata names. */
  checkUrl(raw: string): Verdict & { host?: string } {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'The URL is not valid.' };
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.settings.allowHttp)) {
      return {
        ok: false,
        reason: this.settings.allowHttp ? 'The URL must use http or https.' : 'The URL must use https.',
      };
    }
    if (url.username || url.password) return { ok: false, reason: 'The URL must not contain credentials.' };
    // WHATWG parsing has already turned 2130706433, 0x7f.1 and friends into dotted IPv4.
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!host) return { ok: false, reason: 'The URL has no host.' };
    if (isIP(host)) {
      const why = this.refusedAddress(host);
      return why ? { ok: false, reason: `The destination is not allowed: ${why}.` } : { ok: true, host };
    }
    if (METADATA_NAMES.has(host.replace(/\.$/, ''))) {
      return { ok: false, reason: 'The destination is not allowed: a cloud metadata service.' };
    }
    return { ok: true, host };
  }

  /** The full check at create/update: the URL, then every address its host resolves to now. */
  async check(raw: string): Promise<Verdict> {
    const first = this.checkUrl(raw);
    if (!first.ok || isIP(first.host!)) return first.ok ? { ok: true } : first;
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolve(first.host!);
    } catch {
      return { ok: false, reason: `The host ${first.host} does not resolve.` };
    }
    if (!addresses.length) return { ok: false, reason: `The host ${first.host} does not resolve.` };
    for (const a of addresses) {
      const why = this.refusedAddress(a.address);
      if (why) {
        this.logRefusal({ host: first.host!, address: a.address, why });
        return { ok: false, reason: `The destination is not allowed: the host ${NON_PUBLIC}.` };
      }
    }
    return { ok: true };
  }

  /**
   * A `lookup` for net/tls connect (undici's `connect.lookup`): resolves, refuses the connection when any
   * address is refused, and otherwise answers in whichever form (one address, or all) the caller asked for.
   */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const host = hostname.replace(/^\[|\]$/g, '');
    this.resolve(host).then(
      (found) => {
        const family =
          options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const addresses = family ? found.filter((a) => a.family === family) : found;
        if (!addresses.length) {
          callback(Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' }), '');
          return;
        }
        for (const a of addresses) {
          const why = this.refusedAddress(a.address);
          if (why) {
            this.logRefusal({ host, address: a.address, why });
            const err = new Error(`destination refused: the host ${NON_PUBLIC}`);
            callback(Object.assign(err, { code: 'EDESTINATIONREFUSED' }), '');
            return;
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
