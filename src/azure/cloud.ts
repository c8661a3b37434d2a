// Which Azure cloud, and so which ARM endpoint: the public clouds by az's names, az's active cloud read from its
// config file, and the check of an explicit endpoint. No SDK here: the CLI's option handling and --help load it.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** ARM endpoints of the public clouds, by the names `az cloud list` uses. */
export const CLOUDS = {
  AzureCloud: 'https://management.azure.com',
  AzureUSGovernment: 'https://management.usgovcloudapi.net',
  AzureChinaCloud: 'https://management.chinacloudapi.cn',
} as const;
export type CloudName = keyof typeof CLOUDS;

export const isCloudName = (name: string): name is CloudName => Object.hasOwn(CLOUDS, name);

/**
 * The audience Entra expects in a federated token (workload identity federation) in each cloud: a federated
 * credential with another cloud's audience never matches (azure-arm.md; Microsoft's workload identity docs).
 */
export const TOKEN_EXCHANGE_AUDIENCES: Record<CloudName, string> = {
  AzureCloud: 'api://AzureADTokenExchange',
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov',
  AzureChinaCloud: 'api://AzureADTokenExchangeChina',
};

/** The token-exchange audience of a cloud by az's name; the public cloud's for any other (a private endpoint). */
export const tokenExchangeAudience = (cloud: string): string => (isCloudName(cloud) ? TOKEN_EXCHANGE_AUDIENCES[cloud] : TOKEN_EXCHANGE_AUDIENCES.AzureCloud);

/** Private clouds and tests: an ARM endpoint that replaces the cloud's (`--arm-endpoint` wins over it). */
export const ARM_ENDPOINT_ENV = 'MTA_STS_ARM_ENDPOINT';

/**
 * az's active cloud, read from the `[cloud] name = …` setting of its config file (what `az cloud set` writes;
 * AZURE_CONFIG_DIR moves it, as AzureCLI@2 does). No file or no setting means az's own default, AzureCloud.
 */
export async function activeCloud(env: NodeJS.ProcessEnv): Promise<string> {
  const dir = env.AZURE_CONFIG_DIR || join(env.HOME || homedir(), '.azure');
  let text: string;
  try {
    text = await readFile(join(dir, 'config'), 'utf8');
  } catch {
    return 'AzureCloud';
  }
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!.trim();
    const setting = /^name\s*[=:]\s*(.+)$/.exec(line);
    if (section === 'cloud' && setting) return setting[1]!.trim();
  }
  return 'AzureCloud';
}

/** An ARM endpoint must be an https:// URL: the SDK sends bearer tokens over HTTPS only. */
export function armEndpointError(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `the ARM endpoint must be a URL like https://management.azure.com (got "${value}")`;
  }
  if (url.protocol !== 'https:') return `the ARM endpoint must use https:// (got "${value}")`;
  return undefined;
}
