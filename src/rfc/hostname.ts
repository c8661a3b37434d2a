// Host names and MX patterns: RFC 5321 §4.1.2 Domain, RFC 8461 §3.2 mx pattern, RFC 8461 §4.1 matching.
import { domainToASCII } from 'node:url';
import type { Diagnostic } from './diagnostic.ts';

// RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str] — letters, digits and inner hyphens (RFC 1035 §2.3.1 LDH).
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
const IPV4 = /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/;
// Only hex digits, colons and dots with at least two colons: an IPv6 address, never a host name.
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/**
 * A fully-qualified LDH host name: labels of 1–63 letters, digits or inner hyphens (RFC 1035 §2.3.1,
 * RFC 5321 §4.1.2), at most 253 characters (RFC 1035 §2.3.4 less the root), at least two labels, no
 * trailing dot, ASCII only. An all-numeric last label is refused so an IPv4 literal is never a domain
 * (RFC 1123 §2.1).
 */
export function isValidDomainName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => LABEL.test(l))) return false;
  return !ALL_DIGITS.test(labels[labels.length - 1]!);
}

/** True for `[192.0.2.1]`, `[IPv6:2001:db8::1]`, `192.0.2.1` and `2001:db8::1`. */
function isIpLiteral(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return true; // RFC 5321 §4.1.3 address-literal
  return IPV4.test(s) || IPV6.test(s);
}

/**
 * Checks one `mx` pattern: `["*."] Domain` (RFC 8461 §3.2). Returns [] when valid, otherwise diagnostics
 * (no line/column; callers add the position) that say what would be right. `mx-single-label` marks a
 * pattern the grammar allows but no sender on the Internet can use; callers choose its severity.
 */
export function checkMxPattern(pattern: string): Diagnostic[] {
  const d = (code: string, message: string): Diagnostic[] => [{ code, message }];
  if (typeof pattern !== 'string' || pattern.length === 0) {
    return d('invalid-mx-pattern', 'mx pattern is empty; write a host name such as "*.mail.protection.outlook.com"');
  }
  const shown = JSON.stringify(pattern);
  if (/[^\x21-\x7e]/.test(pattern)) {
    const bad = /\s/.test(pattern) ? 'whitespace' : 'non-ASCII characters';
    return d(
      'invalid-mx-pattern',
      `mx pattern ${shown} contains ${bad}; write an ASCII host name (internationalized names as A-labels, "xn--…") (RFC 8461 §3.2)`,
    );
  }
  if (isIpLiteral(pattern)) {
    return d('mx-ip-literal', `mx pattern ${shown} is an IP address; MTA-STS matches MX host names only, so write the MX host name (RFC 8461 §4.1)`);
  }
  // RFC 8461 §3.2: the pre-RFC drafts wrote ".example.com"; the RFC syntax is "*.example.com".
  if (pattern.startsWith('.')) {
    return d('mx-leading-dot', `mx pattern ${shown} starts with a dot (old draft syntax); write "*${pattern}" to match one label below ${pattern.slice(1)}`);
  }
  const wildcard = pattern.startsWith('*.');
  const domain = wildcard ? pattern.slice(2) : pattern;
  // RFC 8461 §3.2, §4.1: "*" may only be the whole left-most label.
  if (domain.includes('*')) {
    return d('invalid-mx-wildcard', `mx pattern ${shown} uses "*" inside a label or below the left-most label; "*" is allowed only as the whole left-most label, as in "*.example.com"`);
  }
  if (pattern === '*') {
    return d('invalid-mx-wildcard', 'mx pattern "*" matches nothing; write "*." followed by a domain, as in "*.example.com"');
  }
  if (domain.endsWith('.')) {
    return d('invalid-mx-pattern', `mx pattern ${shown} ends with a dot; write it without the trailing dot ("${pattern.replace(/\.+$/, '')}")`);
  }
  if (wildcard && !domain.includes('.') && LABEL.test(domain)) {
    return d('wildcard-too-broad', `mx pattern ${shown} would match any host in the whole top-level domain; name your MX domain, as in "*.example.com"`);
  }
  // RFC 8461 §3.2 uses RFC 5321 Domain, which allows one label; valid, but unreachable from the Internet.
  if (!wildcard && LABEL.test(domain)) {
    return d('mx-single-label', `mx pattern ${shown} is a single label: a single-label MX host name cannot be reached over the Internet; write the MX host's fully-qualified name, such as "mail.contoso.com" (RFC 8461 §3.2)`);
  }
  if (!isValidDomainName(domain)) {
    const label = domain.split('.').find((l) => !LABEL.test(l));
    let why = 'is not a valid host name';
    if (domain.length > 253) why = 'is longer than 253 characters';
    else if (label !== undefined) {
      why = label === '' ? 'has an empty label ("..")' : label.length > 63 ? `has a label longer than 63 characters` : `has an invalid label "${label}" (letters, digits and inner hyphens only)`;
    } else why = 'ends in an all-numeric label';
    return d('invalid-mx-pattern', `mx pattern ${shown} ${why} (RFC 8461 §3.2, RFC 5321 §4.1.2)`);
  }
  return [];
}

/**
 * `name` in A-labels, lower case (e.g. "Bücher.de" → "xn--bcher-kva.de"), by UTS #46 as browsers and mailers
 * do (node:url's domainToASCII); unchanged when it is not a valid name. DNS, certificates and policies carry
 * A-labels (RFC 5890 §2.3.2.1), so names are compared in that form.
 */
export function toALabels(name: string): string {
  return domainToASCII(name) || name;
}

// Only a name with a non-ASCII character has U-labels to convert; the common case stays a string compare.
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Whether MX host `host` matches policy pattern `pattern` (RFC 8461 §4.1, RFC 6125 §6.4.3): ASCII
 * case-insensitive, one trailing dot ignored on either side, U-labels compared as their A-labels
 * ("bücher.example" matches "xn--bcher-kva.example"), and "*." covers exactly one whole label.
 */
export function mxMatches(pattern: string, host: string): boolean {
  if (typeof pattern !== 'string' || typeof host !== 'string') return false;
  const p = asciiLower(stripOneDot(NON_ASCII.test(pattern) ? toALabels(pattern) : pattern));
  const h = asciiLower(stripOneDot(NON_ASCII.test(host) ? toALabels(host) : host));
  if (p.length === 0 || h.length === 0 || h.includes('*')) return false;
  if (p.startsWith('*.')) {
    const suffix = p.slice(1); // ".example.com"
    if (suffix.includes('*') || !h.endsWith(suffix)) return false;
    const label = h.slice(0, h.length - suffix.length);
    return label.length > 0 && !label.includes('.'); // RFC 8461 §4.1: the wildcard is one label, not more
  }
  return !p.includes('*') && p === h;
}

function stripOneDot(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

// Host names compare ASCII case-insensitively (RFC 4343); Unicode case folding must not make "İ" match "i".
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
