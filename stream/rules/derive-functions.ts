import { isIPv4, isIPv6 } from 'node:net';

/**
 * The named functions a `derive` action may call. A rule file picks one by name; it cannot
 * bring its own code. Each takes the current value and returns the new string, or undefined
 * to remove the field (a value that cannot be made safe is not kept).
 */
export type DeriveFn = (value: unknown) => string | undefined;

/** IPv4 keeps its /24 (last octet zeroed), IPv6 its /48: enough for geography, not a person. */
export function truncateIp(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ip = value.trim();
  if (isIPv4(ip)) return ip.slice(0, ip.lastIndexOf('.')) + '.0';
  if (!isIPv6(ip)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `::ffff:${truncateIp(mapped[1])}`;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 3).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::`;
}

const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN = /[A-Za-z0-9.-]/;

/**
 * Replaces e-mail addresses (also percent-encoded, `%40`) with `[email]`. A hand-written scan
 * rather than one regular expression: linear on hostile 4 KB strings of near-addresses.
 */
export function scrubEmails(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.includes('@') && !/%40/i.test(value)) return value;
  let out = '';
  let copied = 0;
  let floor = 0; // left scans never cross an earlier "@": they stay disjoint, so the scan is linear
  let i = 0;
  while (i < value.length) {
    const at = value[i] === '@' ? 1 : value[i] === '%' && value.slice(i + 1, i + 3) === '40' ? 3 : 0;
    if (at === 0) { i++; continue; }
    let start = i;
    while (start > floor && LOCAL.test(value[start - 1])) start--;
    floor = i + at;
    let end = i + at;
    while (end < value.length && DOMAIN.test(value[end])) end++;
    const domain = value.slice(i + at, end).replace(/\.+$/, '');
    if (start < i && /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/.test(domain)) {
      out += value.slice(copied, start) + '[email]';
      copied = floor = i + at + domain.length;
      i = copied;
    } else i += at;
  }
  return out + value.slice(copied);
}

export const DERIVE: Readonly<Record<string, DeriveFn>> = {
  truncate_ip: truncateIp,
  scrub_emails: scrubEmails,
  lowercase: (v) => (typeof v === 'string' ? v.toLowerCase() : undefined),
  uppercase: (v) => (typeof v === 'string' ? v.toUpperCase() : undefined),
  trim: (v) => (typeof v === 'string' ? v.trim() : undefined),
};
