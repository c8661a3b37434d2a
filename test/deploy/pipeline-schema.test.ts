// Both pipeline files against their platforms' own schemas: azure-pipelines.yml against Azure's Azure
// Pipelines schema (pipeline-schema.ts), .github/workflows/*.yml with action-validator. Each mutation test
// changes one thing in a copy of the real file and expects that one thing to be reported.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';
import { compilePipelineValidator, schemaAvailable, SCHEMA_RELATIVE, type PipelineValidator } from './pipeline-schema.ts';

const azureText = readFileSync(join(repoRoot, 'azure-pipelines.yml'), 'utf8');

/** Replaces the one occurrence of `from` (it must occur exactly once, so the test cannot go stale silently). */
function mutate(text: string, from: string, to: string): { text: string; line: number } {
  const at = text.indexOf(from);
  expect(at, `"${from}" not in the file`).toBeGreaterThanOrEqual(0);
  expect(text.indexOf(from, at + 1), `"${from}" occurs more than once`).toBe(-1);
  const changed = text.slice(0, at) + to + text.slice(at + from.length);
  // The line of the first changed character.
  const offset = [...to].findIndex((c, i) => c !== from[i]);
  return { text: changed, line: changed.slice(0, at + Math.max(offset, 0)).split('\n').length };
}

const available = schemaAvailable();
const SKIPPED = `skipped: ${SCHEMA_RELATIVE} is absent`;
// Without ../shared these tests report themselves skipped, and their names say why.
const named = (name: string) => (available ? name : `${name} (${SKIPPED})`);

describe('azure-pipelines.yml against the Azure Pipelines schema', () => {
  let validator: PipelineValidator;
  beforeAll(() => {
    if (available) validator = compilePipelineValidator();
  });
  const validate = (text: string) => validator.validate(text, 'azure-pipelines.yml');
  const expectOneFinding = (m: { text: string; line: number }, pattern: RegExp) => {
    const findings = validate(m.text);
    expect(findings.map((f) => f.message)).toHaveLength(1);
    expect(findings[0]!.message).toMatch(pattern);
    expect(findings[0]!.line).toBe(m.line);
  };

  it.skipIf(!available)(available ? 'azure-pipelines.yml is schema-clean' : SKIPPED, () => {
    expect(validate(azureText)).toEqual([]);
  });

  it.skipIf(!available)(named('fails on a misspelled input of AzureStaticWebApp@0, naming the key and its line'), () => {
    const m = mutate(azureText, '              app_location: home', '              app_locaton: home');
    expectOneFinding(m, /^azure-pipelines\.yml:\d+:\d+: stages\.1\.jobs\.0\.steps\.\d+\.inputs: unknown key "app_locaton"; expected one of: .*\bapp_location\b/);
  });

  it.skipIf(!available)(named('checks the Function App deploy (AzureFunctionApp@2) inside its ${{ if }}: a misspelled input and a bad appType are refused'), () => {
    expectOneFinding(mutate(azureText, '                  package: $(System.DefaultWorkingDirectory)/functions', '                  pakage: $(System.DefaultWorkingDirectory)/functions'),
      /stages\.1\.jobs\.0\.steps\.\d+\.inputs: unknown key "pakage"; expected one of: .*\bpackage\b/);
    expectOneFinding(mutate(azureText, '                  appType: functionAppLinux', '                  appType: webAppLinux'), /appType/);
    expectOneFinding(mutate(azureText, '                  appType: functionAppLinux\n', '                  appType: functionAppLinux\n                  isFlexConsumption: maybe\n'), /isFlexConsumption: must be true or false or an expression \(got "maybe"\)/);
  });

  it.skipIf(!available)(named('knows the inputs of each task by its name: another task\'s input is refused'), () => {
    // scriptType is an AzureCLI@2 input, not one of AzureStaticWebApp@0's; app_location is not NodeTool@0's.
    expectOneFinding(mutate(azureText, '              app_location: home', '              scriptType: bash'), /inputs: unknown key "scriptType"/);
    const node = mutate(azureText, "            displayName: Use Node 24\n            inputs:\n              versionSpec: '24.x'\n          - script: npm ci --omit=dev\n            displayName: Install dependencies\n          # The guard",
      "            displayName: Use Node 24\n            inputs:\n              app_location: '24.x'\n          - script: npm ci --omit=dev\n            displayName: Install dependencies\n          # The guard");
    expectOneFinding(node, /inputs: unknown key "app_location"; expected one of: .*\bversionSpec\b/);
    expectOneFinding(mutate(azureText, 'task: AzureStaticWebApp@0', 'task: AzureStaticWebApp@9'), /unknown task "AzureStaticWebApp@9"/);
  });

  it.skipIf(!available)(named('checks the steps inside ${{ if }} / ${{ else }} blocks (hoisted into their parent)'), () => {
    const m = mutate(azureText, '                  inlineScript: node bin/mta-sts.js azure bind', '                  inlineScrpt: node bin/mta-sts.js azure bind');
    expectOneFinding(m, /^azure-pipelines\.yml:\d+:\d+: stages\.2\.jobs\.0\.steps\.\d+\.inputs: unknown key "inlineScrpt"/);
    // Both branches' steps stand in the job's list: the else branch's checkout follows the if branch's four steps.
    const inElse = mutate(azureText, '              - checkout: none', '              - checkout: none\n                clean: maybe');
    expectOneFinding({ ...inElse, line: inElse.line + 1 }, /stages\.2\.jobs\.0\.steps\.4\.clean: "maybe" is not one of: true, false/);
  });

  it.skipIf(!available)(named('fails on an unknown step key and on an unknown step kind'), () => {
    expectOneFinding(mutate(azureText, '          - script: node bin/mta-sts.js verify\n            displayName: Verify', '          - script: node bin/mta-sts.js verify\n            displayNam: Verify'),
      /stages\.0\.jobs\.0\.steps\.\d+: unknown key "displayNam"; expected one of: .*\bdisplayName\b/);
    expectOneFinding(mutate(azureText, '          - script: node bin/mta-sts.js verify\n', '          - scirpt: node bin/mta-sts.js verify\n'),
      /expected a mapping with one of the keys: task, script, .*bash/);
  });

  it.skipIf(!available)(named('fails on a misspelled dependsOn of a stage or a job'), () => {
    expectOneFinding(mutate(azureText, '    dependsOn: Build\n', '    dependOn: Build\n'), /stages\.1: unknown key "dependOn"; expected one of: .*\bdependsOn\b/);
    const job = '      - job: deploy\n        displayName: Deploy home/ or functions/\n';
    expectOneFinding(mutate(azureText, job, `${job}        dependsOnn: []\n`), /stages\.1\.jobs\.0: unknown key "dependsOnn"; expected one of: .*\bdependsOn\b/);
    // The correct spelling with a list is fine.
    expect(validate(mutate(azureText, job, `${job}        dependsOn: []\n`).text)).toEqual([]);
  });

  it.skipIf(!available)(named('lets expressions stand for booleans, but not for a step\'s continueOnError pattern'), () => {
    for (const value of ['$(skipAppBuild)', "${{ eq(variables.checkStarttls, 'true') }}", '$[ variables.x ]', "'TRUE'"]) {
      expect(validate(mutate(azureText, 'skip_app_build: true', `skip_app_build: ${value}`).text), value).toEqual([]);
    }
    expectOneFinding(mutate(azureText, 'skip_app_build: true', 'skip_app_build: maybe'), /skip_app_build: must be true or false or an expression \(got "maybe"\)/);
    // continueOnError is a string pattern (true/false/yes/…) in the schema: an expression there is refused, and
    // the same key under ${{ if }} is fine.
    const step = '          - script: node bin/mta-sts.js verify\n            displayName: Verify the config, home/, the policy and the SWA config\n';
    const soft = mutate(azureText, step, `${step}            continueOnError: \${{ eq(variables.checkStarttls, 'true') }}\n`);
    expectOneFinding(soft, /steps\.\d+\.continueOnError: "\$\{\{ eq\(variables\.checkStarttls, 'true'\) \}\}" must be one of: true, /);
    const underIf = mutate(azureText, step, `${step}            \${{ if eq(variables.checkStarttls, 'true') }}:\n              continueOnError: true\n`);
    expect(validate(underIf.text)).toEqual([]);
  });

  it.skipIf(!available)(named('accepts an input by its alias, reads scalars as text, refuses YAML aliases, reports broken YAML with its line'), () => {
    expect(validate(mutate(azureText, '                  azureSubscription: ${{ variables.armServiceConnection }}\n                  scriptType: bash\n                  scriptLocation: inlineScript\n                  inlineScript: node bin/mta-sts.js azure bind',
      '                  connectedServiceNameARM: ${{ variables.armServiceConnection }}\n                  scriptType: bash\n                  scriptLocation: inlineScript\n                  inlineScript: node bin/mta-sts.js azure bind').text)).toEqual([]);
    // YAML types do not exist in Azure Pipelines: an unquoted 20.10 or true is text where text is expected.
    expect(validate(mutate(azureText, 'testRunTitle: Verify live MTA-STS\n', 'testRunTitle: 20.10\n').text)).toEqual([]);
    expect(validate(mutate(azureText, 'testRunTitle: Verify live MTA-STS\n', 'testRunTitle: true\n').text)).toEqual([]);
    const aliased = mutate(azureText, "  vmImage: ubuntu-latest", "  vmImage: &image ubuntu-latest\n  name: *image");
    expect(validate(aliased.text).map((f) => f.message)).toEqual([expect.stringMatching(/:\d+:\d+: YAML aliases \(\*name\) are not supported by Azure Pipelines/)]);
    const broken = mutate(azureText, '    dependsOn: Build\n', '    dependsOn: [Build\n');
    const findings = validate(broken.text);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]!.message).toMatch(/^azure-pipelines\.yml:\d+:\d+: YAML: /);
  });
});

describe('.github/workflows/*.yml with action-validator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'workflows-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(repoRoot, 'node_modules/.bin/action-validator');
  const validateFile = (file: string) => spawnSync(bin, [file], { encoding: 'utf8', timeout: 20_000 });
  const workflows = readdirSync(join(repoRoot, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
  const deployText = readFileSync(join(repoRoot, '.github/workflows/deploy.yml'), 'utf8');
  const validateText = (text: string) => {
    const file = join(dir, 'deploy.yml');
    writeFileSync(file, text);
    return validateFile(file);
  };

  it('every workflow is valid', () => {
    expect(workflows).toContain('deploy.yml');
    for (const wf of workflows) {
      const r = validateFile(join(repoRoot, '.github/workflows', wf));
      expect(r.error).toBeUndefined();
      expect(`${r.stdout}${r.stderr}`, wf).toBe('');
      expect(r.status, wf).toBe(0);
    }
  });

  it('fails on a misspelled job key', () => {
    const r = validateText(mutate(deployText, '  deploy:\n    name: Deploy to Azure Static Web Apps\n    needs: build', '  deploy:\n    name: Deploy to Azure Static Web Apps\n    need: build').text);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Additional property 'need' is not allowed");
  });

  it('fails on a misspelled step key', () => {
    const r = validateText(mutate(deployText, '        run: node bin/mta-sts.js azure bind', '        rnu: node bin/mta-sts.js azure bind').text);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Additional property 'rnu' is not allowed");
  });
});
