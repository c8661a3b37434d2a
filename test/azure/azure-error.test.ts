// The one reader of Azure's errors: every shape Azure sends, read into one line (src/azure/azure-error.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { azureErrorLine, classify, parseErrorBody, quotaLimit, readAzureError } from '../../src/azure/azure-error.ts';
import { appServiceError } from './arm-emulator.ts';

/** What the SDK throws for a non-2xx answer: a RestError carrying the raw body (core-client's handleErrorResponse). */
const restError = (status: number, body: string, message = body, code?: string) =>
  Object.assign(new Error(message), { name: 'RestError', statusCode: status, code, response: { bodyAsText: body } });

// Azure/azure-cli#21186, the body az logged for a third custom domain on the Free plan.
const QUOTA_BODY = JSON.stringify(appServiceError('BadRequest', 'The maximum number of custom domains allowed for this static site is 2.', {
  ExtendedCode: '59334', MessageTemplate: 'The maximum number of custom domains allowed for this static site is {0}.', Parameters: ['2'],
}));

describe('parseErrorBody', () => {
  it("reads ARM's {error:{code,message,details}} with nested details", () => {
    const body = JSON.stringify({ error: { code: 'DeploymentFailed', message: 'At least one resource deployment operation failed.', details: [
      { code: 'Conflict', message: 'outer', details: [{ code: 'Inner', message: 'the real reason' }] },
    ] } });
    expect(parseErrorBody(body)).toEqual({
      code: 'DeploymentFailed', message: 'At least one resource deployment operation failed.',
      details: [{ code: 'Conflict', message: 'outer' }, { code: 'Inner', message: 'the real reason' }],
    });
  });

  it("reads App Service's {Code,Message,Details} (Azure/azure-cli#21186) and drops the details that only repeat it", () => {
    const read = parseErrorBody(QUOTA_BODY)!;
    expect(read.code).toBe('BadRequest');
    expect(read.message).toBe('The maximum number of custom domains allowed for this static site is 2.');
    expect(read.details).toEqual([]);
    expect(quotaLimit({ ...read })).toBe(2);
  });

  it('reads either casing at every level (Error / error, Details / details, ErrorEntity, InnerError)', () => {
    const body = JSON.stringify({ Error: { CODE: 'X', Message: 'top', Details: [{ ErrorEntity: { code: 'Y', MESSAGE: 'deep' } }], InnerError: { Code: 'Z', message: 'inner' } } });
    expect(parseErrorBody(body)).toEqual({ code: 'X', message: 'top', details: [{ code: 'Y', message: 'deep' }, { code: 'Z', message: 'inner' }] });
  });

  it('keeps an empty message empty, and a detail that has only a code (Azure/static-web-apps#225)', () => {
    const body = JSON.stringify({ status: 'Failed', error: { code: 'ResourceOperationFailure', message: '', details: [{ code: 'Unspecified', message: '' }] } });
    const read = parseErrorBody(body)!;
    expect(read).toEqual({ code: 'ResourceOperationFailure', message: '', details: [{ code: 'Unspecified', message: '' }] });
    expect(classify(read)).toBe('no-reason');
  });

  it('reads a non-JSON body (a gateway\'s HTML page, plain text) as its first words', () => {
    expect(parseErrorBody('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>')).toEqual({ message: '502 Bad Gateway', details: [] });
    expect(parseErrorBody('upstream connect error\nor disconnect')).toEqual({ message: 'upstream connect error or disconnect', details: [] });
    expect(parseErrorBody('x'.repeat(500))!.message).toHaveLength(201);
    expect(parseErrorBody('')).toBeUndefined();
    expect(parseErrorBody('[1,2]')).toBeUndefined();
    expect(parseErrorBody('{"unrelated":true}')).toBeUndefined();
  });

  it('never throws and always gives one printable line, whatever JSON Azure sends', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 400, max: 599 }), (value, status) => {
      const body = JSON.stringify(value) ?? '';
      const line = azureErrorLine('doing it', restError(status, body));
      expect(line).not.toMatch(/[\n\r\u0000-\u001f]/);
      expect(line).toMatch(/^doing it failed: Azure answered HTTP \d{3}/);
    }), { numRuns: 300 });
  });
});

describe('readAzureError', () => {
  it("takes the status from the SDK's RestError and the rest from its body, not from the SDK's raw-JSON message", () => {
    expect(readAzureError(restError(400, QUOTA_BODY))).toMatchObject({ status: 400, code: 'BadRequest', message: 'The maximum number of custom domains allowed for this static site is 2.' });
  });

  it("falls back to the SDK's code and message when there is no body", () => {
    const e = Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'ECONNRESET' });
    expect(readAzureError(e)).toEqual({ code: 'ECONNRESET', message: 'socket hang up', details: [] });
  });

  it("reads core-lro's text for an operation that ended Failed, with and without Azure's error", () => {
    expect(readAzureError(new Error('The long-running operation has failed. BadRequest. CNAMERecord is invalid.'))).toEqual({ code: 'BadRequest', message: 'CNAMERecord is invalid.', details: [] });
    expect(readAzureError(new Error('The long-running operation has failed'))).toEqual({ message: '', details: [] });
    expect(classify(readAzureError(new Error('The long-running operation has failed')))).toBe('no-reason');
  });
});

describe('azureErrorLine', () => {
  it('one line: what failed, Azure\'s status, code and message, and what to do; never raw JSON', () => {
    const line = azureErrorLine('binding mta-sts.contoso.com to app1', restError(400, QUOTA_BODY), { app: 'app1', resourceGroup: 'rg' });
    expect(line).toBe('binding mta-sts.contoso.com to app1 failed: Azure answered HTTP 400 BadRequest: The maximum number of custom domains allowed for this static site is 2.; '
      + "the app's plan allows 2 custom domains per app (Free 2, Standard 5): serve the other domains from a second Static Web App, "
      + 'move app1 to the Standard plan (az staticwebapp update -n app1 -g rg --sku Standard), or host the policy on Azure Functions (500 custom domains per app)');
  });

  it('names the details when they say more, and "(no message)" when Azure said nothing', () => {
    const body = JSON.stringify({ error: { code: 'ResourceOperationFailure', message: '', details: [{ code: 'Unspecified', message: '' }] } });
    expect(azureErrorLine('x', restError(200, body))).toMatch(/^x failed: Azure answered HTTP 200 ResourceOperationFailure: \(no message\) \(details: Unspecified\); Azure gave no reason/);
  });

  it('folds line breaks to spaces and escapes the other control characters Azure put in its text', () => {
    const body = JSON.stringify({ error: { code: 'Bad', message: 'a\nb\u001b[2J' } });
    expect(azureErrorLine('x', restError(400, body))).toContain('a b\\x1b[2J');
  });

  it.each([
    [401, 'AuthenticationFailed', /run az login/],
    [403, 'AuthorizationFailed', /lacks the right for this/],
    [404, 'ResourceGroupNotFound', /check the name, the resource group and --subscription/],
    [429, 'TooManyRequests', /throttling/],
    [500, 'InternalServerError', /re-run the same command/],
  ])('HTTP %i %s has its advice', (status, code, advice) => {
    expect(azureErrorLine('x', restError(status, JSON.stringify({ error: { code, message: 'm' } })))).toMatch(advice);
  });
});

describe('askDns (src/check/dns.ts): no such record kept apart from a failed lookup', () => {
  it.each(['ENOTFOUND', 'ENODATA'])('%s is "none": the record is to be created', async (code) => {
    const { askDns } = await import('../../src/check/dns.ts');
    expect(await askDns('x.example', 'TXT', () => Promise.reject(Object.assign(new Error(code), { code })))).toEqual({ kind: 'none' });
  });

  it.each([
    ['ETIMEOUT', 'DNS lookup of TXT at x.example timed out'],
    ['ESERVFAIL', 'DNS server failure (SERVFAIL) looking up TXT at x.example; check the zone and its DNSSEC'],
    ['EREFUSED', 'DNS server refused the TXT query for x.example'],
  ])('%s is "failed", with the resolver\'s error kept as the cause', async (code, message) => {
    const { askDns } = await import('../../src/check/dns.ts');
    const error = Object.assign(new Error(code), { code });
    const answer = await askDns('x.example', 'TXT', () => Promise.reject(error));
    expect(answer).toEqual({ kind: 'failed', code, message, cause: error });
    expect(answer.kind === 'failed' && answer.cause).toBe(error);
  });
});

describe('answers that used to send the admin the wrong way', () => {
  it('a plan PUT without quota: 401 Unauthorized in App Service\'s shape is a quota problem with what to do, not "run az login" (400 alike)', () => {
    const message = 'Operation cannot be completed without additional quota. \r\nAdditional Details - Location:   \r\nCurrent Limit (Basic VMs): 0 \r\nCurrent Usage: 0';
    for (const status of [401, 400]) {
      const e = restError(status, JSON.stringify(appServiceError('Unauthorized', message)));
      expect(classify(readAzureError(e))).toBe('plan-quota');
      const line = azureErrorLine('creating App Service plan asp-mta-sts', e);
      expect(line).toContain(`Azure answered HTTP ${status} Unauthorized: Operation cannot be completed without additional quota.`);
      expect(line).toContain('request more (Azure portal > Quotas > App Service, or a support request for the tier and region), or choose another region (--region), or host on a Static Web App');
      expect(line).not.toContain('az login');
    }
  });

  it('MissingSubscriptionRegistration names the exact az provider register command for the namespace Azure named', () => {
    const message = "The subscription is not registered to use namespace 'Microsoft.ManagedIdentity'. See https://aka.ms/rps-not-found for how to register subscriptions.";
    const e = restError(409, JSON.stringify({ error: { code: 'MissingSubscriptionRegistration', message, details: [{ code: 'MissingSubscriptionRegistration', target: 'Microsoft.ManagedIdentity', message }] } }));
    expect(classify(readAzureError(e))).toBe('unregistered');
    const line = azureErrorLine('creating managed identity mta-sts-pipeline', e);
    expect(line).toContain('az provider register --namespace Microsoft.ManagedIdentity');
    expect(line).not.toContain('status.azure.com');
  });

  it('a namespace that is not a plain name is never put into a command', () => {
    const e = restError(409, JSON.stringify({ error: { code: 'MissingSubscriptionRegistration', message: "not registered to use namespace 'Microsoft.Web; rm -rf ~'" } }));
    const line = azureErrorLine('x', e);
    expect(line).not.toMatch(/--namespace Microsoft\.Web;/);
    expect(line).toContain('az provider register --namespace <the namespace Azure named>');
  });

  it('a 403 names the action and the scope Azure named, and who can grant it', () => {
    const scope = '/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/providers/Microsoft.Web/locations/westus2/operationResults/62e4';
    const e = restError(403, JSON.stringify({ error: { code: 'AuthorizationFailed', message: `The client '0c5c2d1a-8e57-4f3b-9a4e-3f1d2b6c7a90' with object id '6b3f0b3e-2a61-4c89-9d0c-6f2a8d1e7c55' does not have authorization to perform action 'Microsoft.Web/locations/operationResults/read' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.` } }));
    const line = azureErrorLine('binding mta-sts.contoso.com', e);
    expect(line).toContain(`the signed-in identity may not Microsoft.Web/locations/operationResults/read over ${scope}: someone with Owner or User Access Administrator on that scope (or one above it) grants a role that allows it`);
    expect(line).not.toContain('Owner of the resource group');
  });
});
