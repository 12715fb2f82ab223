// Which URLs the server may POST a notification to. Subscriptions are user-supplied URLs, so without this
// allow-list a subscription would be a way to make the server send requests into the private network.
import { BlockList, isIP } from 'node:net';

/** One allowed push-service origin: an exact host, or `*.` plus a domain for any of its subdomains. */
export type PushServiceOrigin = Readonly<{
  protocol: 'https:' | 'http:';
  /** Lower case; for a wildcard, the domain after `*.`. */
  host: string;
  wildcard: boolean;
  /** The port, with the scheme's default filled in. */
  port: number;
}>;

/** The big browser push services: Google's FCM, Mozilla's autopush, Apple's and Microsoft's. */
export const DEFAULT_PUSH_SERVICE_ORIGINS =
  'https://fcm.googleapis.com,https://*.push.services.mozilla.com,https://*.push.apple.com,https://*.notify.windows.com';

const defaultPort = (protocol: string) => (protocol === 'http:' ? 80 : 443);

/** Parses one entry of `PUSH_SERVICE_ORIGINS`; a string is the reason it is refused. */
export function parsePushServiceOrigin(entry: string): PushServiceOrigin | string {
  const wildcard = /^(https?:\/\/)\*\.(.+)$/i.exec(entry);
  const text = wildcard ? `${wildcard[1]}${wildcard[2]}` : entry;
  if (!URL.canParse(text)) return `${JSON.stringify(entry)} is not an origin`;
  const url = new URL(text);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `${JSON.stringify(entry)} must be https:// (or http:// for a test service)`;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    return `${JSON.stringify(entry)} must be an origin alone (scheme, host, port)`;
  if (wildcard && url.protocol === 'http:') return `${JSON.stringify(entry)}: wildcards are for https only`;
  if (wildcard && isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0)
    return `${JSON.stringify(entry)}: a wildcard needs a domain name`;
  return Object.freeze({
    protocol: url.protocol,
    host: url.hostname.toLowerCase(),
    wildcard: wildcard !== null,
    port: url.port ? Number(url.port) : defaultPort(url.protocol),
  });
}

// Loopback, private, link-local, carrier-grade NAT, benchmarking, multicast and reserved ranges, IPv4 and IPv6.
const privateRanges = new BlockList();
for (const [network, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  privateRanges.addSubnet(network, bits, 'ipv4');
for (const [network, bits] of [
  ['::', 127],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  privateRanges.addSubnet(network, bits, 'ipv6');

/** True for an address of the private network, this machine, or no public host at all. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return privateRanges.check(mapped[1]!, 'ipv4');
    return privateRanges.check(address, 'ipv6');
  }
  return false;
}

/** Where an endpoint's URL points, with the rule that lets it through. */
export type AllowedEndpoint = { url: URL; origin: PushServiceOrigin };

/**
 * Checks an endpoint against the allow-list: an absolute https URL on an allowed origin, or plain http on an
 * origin listed exactly so. A host given as a private, loopback or link-local address passes only when that
 * exact origin is listed. Returns the allowed endpoint, or the reason it is refused.
 */
export function checkPushEndpoint(
  endpoint: string,
  origins: readonly PushServiceOrigin[],
): AllowedEndpoint | string {
  if (!URL.canParse(endpoint)) return 'must be an absolute https URL';
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute https URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : defaultPort(url.protocol);
  const exact = origins.find(
    (o) => !o.wildcard && o.protocol === url.protocol && o.host === host && o.port === port,
  );
  if (exact) return { url, origin: exact };
  if (url.protocol === 'http:')
    return 'must be an absolute https URL (plain http only for an origin listed exactly)';
  const address = host.replace(/^\[|\]$/g, '');
  if (isIP(address) !== 0 && isPrivateAddress(address))
    return 'must not point at a private, loopback or link-local address';
  const wildcard = origins.find(
    (o) => o.wildcard && o.protocol === 'https:' && o.port === port && host.endsWith(`.${o.host}`),
  );
  if (wildcard) return { url, origin: wildcard };
  return 'must be on an allowed push service (PUSH_SERVICE_ORIGINS)';
}
