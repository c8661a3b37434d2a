// Azure DNS through @azure/arm-dns: the zones of a resource group and single record sets.
import type { DnsManagementClient, RecordSet, RecordType } from '@azure/arm-dns';
import { statusOf } from './arm.ts';

/** Record-set metadata marking what these commands wrote, so they only ever remove their own records. */
export const MANAGED_BY = { 'managed-by': 'mta-sts' } as const;

export const isManaged = (set: RecordSet | undefined): boolean => set?.metadata?.['managed-by'] === MANAGED_BY['managed-by'];

/** The zone names (lower-case) in `resourceGroup`. */
export async function listZones(dns: DnsManagementClient, resourceGroup: string): Promise<string[]> {
  const names: string[] = [];
  for await (const zone of dns.zones.listByResourceGroup(resourceGroup)) {
    if (zone.name) names.push(zone.name.toLowerCase().replace(/\.$/, ''));
  }
  return names;
}

const PARENT_MISSING = new Set(['ResourceNotFound', 'ParentResourceNotFound', 'ResourceGroupNotFound']);

/** One record set with its etag, or undefined when the zone has none of that name and type. */
export async function readRecordSet(
  dns: DnsManagementClient, resourceGroup: string, zone: string, relative: string, type: RecordType,
): Promise<RecordSet | undefined> {
  try {
    return await dns.recordSets.get(resourceGroup, zone, relative, type);
  } catch (e) {
    // A missing record set is 404 NotFound; a missing zone or resource group is a 404 with another code.
    if (statusOf(e) === 404 && !PARENT_MISSING.has((e as { code?: string }).code ?? '')) return undefined;
    throw e;
  }
}

/** The TXT values of a set, each record's strings joined as readers join them (RFC 8461 §3.1). */
export function txtValues(set: RecordSet | undefined): string[] {
  return (set?.txtRecords ?? []).map((r) => (r.value ?? []).join(''));
}
