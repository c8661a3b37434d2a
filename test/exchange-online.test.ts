import { describe, expect, it } from 'vitest';
import { danePatternFor, exchangePatternPitfall, isDaneMx, isExchangeOnlineMx, isOnMicrosoftDomain } from '../src/exchange-online.ts';

describe('Exchange Online knowledge', () => {
  it('knows its MX hosts, classic and DANE, and nothing else', () => {
    expect(isExchangeOnlineMx('contoso-com.mail.protection.outlook.com')).toBe(true);
    expect(isExchangeOnlineMx('contoso-com.o-v1.mx.microsoft')).toBe(true);
    expect(isExchangeOnlineMx('a.b.mail.protection.outlook.com')).toBe(false); // *. covers one label
    expect(isExchangeOnlineMx('mx.contoso.com')).toBe(false);
    expect(isDaneMx('contoso-com.o-v1.mx.microsoft')).toBe(true);
    expect(danePatternFor('contoso-com.o-v1.mx.microsoft')).toBe('*.o-v1.mx.microsoft');
  });

  it('names the Microsoft-managed tenant domains', () => {
    expect(isOnMicrosoftDomain('contoso.onmicrosoft.com')).toBe(true);
    expect(isOnMicrosoftDomain('onmicrosoft.com')).toBe(true);
    expect(isOnMicrosoftDomain('notonmicrosoft.com')).toBe(false);
  });

  it('spots the two patterns that look right and miss, with the fix', () => {
    expect(exchangePatternPitfall('Mail.Protection.Outlook.com')).toMatchObject({ code: 'mx-exo-no-wildcard', message: expect.stringContaining('use *.mail.protection.outlook.com') });
    expect(exchangePatternPitfall('*.mx.microsoft')).toMatchObject({ code: 'mx-exo-dane', message: expect.stringContaining('*.<zone>-v1.mx.microsoft') });
    expect(exchangePatternPitfall('*.mail.protection.outlook.com')).toBeUndefined();
  });
});
