import { describe, expect, it } from 'vitest';
import { findBrowser } from './find-browser.ts';

const only = (...paths: string[]) => (p: string) => paths.includes(p);

describe('findBrowser', () => {
  it('prefers CHROMIUM_PATH, then Debian Chromium, then Google Chrome', () => {
    expect(findBrowser({ CHROMIUM_PATH: '/opt/c/chrome' }, only('/opt/c/chrome', '/usr/bin/chromium'))).toBe('/opt/c/chrome');
    expect(findBrowser({}, only('/usr/bin/chromium', '/usr/bin/google-chrome'))).toBe('/usr/bin/chromium');
    expect(findBrowser({}, only('/usr/bin/google-chrome'))).toBe('/usr/bin/google-chrome');
  });

  it('skips a CHROMIUM_PATH that does not exist', () => {
    expect(findBrowser({ CHROMIUM_PATH: '/nope' }, only('/usr/bin/chromium'))).toBe('/usr/bin/chromium');
  });

  it('fails with install instructions when there is no browser', () => {
    expect(() => findBrowser({}, only())).toThrow(/apt-get install -y chromium/);
  });
});
