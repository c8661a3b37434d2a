// Which Azure DNS zone holds a name: a mail domain's zone may be the domain itself or a parent
// (eu.contoso.com in the zone contoso.com), so the longest zone that is a suffix of the name wins.

export interface ZoneMatch {
  zone: string;
  /** The record set's name relative to the zone; "@" for the apex. */
  relative: string;
}

/** The zone of `fqdn` among `zones` (lower-case names, no trailing dot), or undefined when none holds it. */
export function zoneFor(fqdn: string, zones: readonly string[]): ZoneMatch | undefined {
  const name = fqdn.toLowerCase();
  let best: string | undefined;
  for (const zone of zones) {
    const holds = name === zone || name.endsWith(`.${zone}`);
    if (holds && (best === undefined || zone.length > best.length)) best = zone;
  }
  if (best === undefined) return undefined;
  return { zone: best, relative: name === best ? '@' : name.slice(0, -(best.length + 1)) };
}
