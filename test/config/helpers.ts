import { expect } from 'vitest';
import { formatDiagnostic, parseConfig, type Config, type ConfigDiagnostic } from '../../src/config/config.ts';

export const FILE = 'mta-sts.config.yaml';

/** The formatted errors of a config that must fail. */
export function errorsOf(text: string): string[] {
  const result = parseConfig(text, FILE);
  if (result.ok) throw new Error(`expected errors, got config ${JSON.stringify(result.config)}`);
  return result.errors.map((d) => formatDiagnostic(d));
}

/** The one error a config must produce. */
export function onlyError(text: string): ConfigDiagnostic {
  const result = parseConfig(text, FILE);
  if (result.ok) throw new Error(`expected an error, got config ${JSON.stringify(result.config)}`);
  expect(result.errors.map((d) => formatDiagnostic(d))).toHaveLength(1);
  return result.errors[0]!;
}

/** The config and formatted warnings of a config that must pass. */
export function accepted(text: string): { config: Config; warnings: string[] } {
  const result = parseConfig(text, FILE);
  if (!result.ok) throw new Error(`expected ok, got ${result.errors.map((d) => formatDiagnostic(d)).join('\n')}`);
  return { config: result.config, warnings: result.warnings.map((d) => formatDiagnostic(d, 'warning')) };
}

/** A small valid config with one line replaced or added; line numbers are stable for assertions. */
export function config(overrides: { domains?: string; mode?: string; mx?: string; max_age?: string; extra?: string } = {}): string {
  return [
    `domains: ${overrides.domains ?? '[contoso.com]'}`, // line 1
    'policy:', // line 2
    `  mode: ${overrides.mode ?? 'testing'}`, // line 3
    `  mx: ${overrides.mx ?? '["*.mail.protection.outlook.com"]'}`, // line 4
    `  max_age: ${overrides.max_age ?? '604800'}`, // line 5
    ...(overrides.extra ? [overrides.extra] : []), // line 6
    '',
  ].join('\n');
}
