// The public library API.
export type { Diagnostic } from './rfc/diagnostic.ts';
export { parsePolicy, serializePolicy, MAX_POLICY_BYTES, MAX_MAX_AGE } from './rfc/policy.ts';
export type { Policy, PolicyMode, PolicyParseResult } from './rfc/policy.ts';
export { parseStsRecord, selectStsRecord, isValidPolicyId } from './rfc/sts-record.ts';
export type { StsRecordParseResult } from './rfc/sts-record.ts';
export { isValidDomainName, checkMxPattern, mxMatches } from './rfc/hostname.ts';
export { parseTlsRptRecord, selectTlsRptRecord } from './rfc/tlsrpt-record.ts';
export type { TlsRptRecordParseResult } from './rfc/tlsrpt-record.ts';
