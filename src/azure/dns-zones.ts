// Azure DNS through @azure/arm-dns: the zones of a resource group and single record sets.
import type { DnsManagementClient, RecordSet, RecordType } from '@azure/arm-dns';
import { statusOf } from './arm.ts';
import { azureSaid, readAzureError } from './azure-error.ts';

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

/** An Azure DNS zone and the resource group that holds it. */
export interface AzureZone { name: string; resourceGroup: string }

/**
 * The zones that hold `names`, found per name: first in `resourceGroup` (hosting.dns_resource_group), then, for a
 * name none of those holds, anywhere in the subscription the caller may read (a zone in another resource group,
 * as connectivity subscriptions and per-domain groups have it). `note` hears why the wider search was not made.
 */
export async function zonesHolding(
  dns: DnsManagementClient, resourceGroup: string, names: string[], note?: (why: string) => void,
): Promise<AzureZone[]> {
  const zones: AzureZone[] = (await listZones(dns, resourceGroup)).map((name) => ({ name, resourceGroup }));
  const holds = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);
  const uncovered = names.map((n) => n.toLowerCase()).filter((n) => !zones.some((z) => holds(n, z.name)));
  if (uncovered.length === 0) return zones;
  try {
    for await (const zone of dns.zones.list()) {
      const name = (zone.name ?? '').toLowerCase().replace(/\.$/, '');
      const group = /\/resourceGroups\/([^/]+)\//i.exec(zone.id ?? '')?.[1];
      if (!name || !group || zones.some((z) => z.name === name)) continue;
      if (uncovered.some((n) => holds(n, name))) zones.push({ name, resourceGroup: group });
    }
  } catch (e) {
    // The pipeline's identity holds roles on resource groups only, and may not list the subscription's zones.
    note?.(`the subscription's other Azure DNS zones could not be searched (Azure answered ${azureSaid(readAzureError(e))}); a domain whose zone is in another resource group than ${resourceGroup} is handled as DNS outside Azure`);
  }
  return zones;
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
