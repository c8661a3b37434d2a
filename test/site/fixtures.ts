import type { Config } from '../../src/config/config.ts';

/** The template's default config, as the loader normalizes it. */
export function defaultConfig(overrides: Partial<Config['policy']> = {}): Config {
  return {
    domains: ['contoso.com'],
    policy: { mode: 'testing', mx: ['*.mail.protection.outlook.com'], max_age: 604800, ...overrides },
    hosting: { kind: 'static-web-app', plan: 'standard' },
  };
}
