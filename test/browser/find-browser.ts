// Which browser the Playwright tests drive. Playwright's own download is not reachable everywhere this
// runs, so it is a system browser: an explicit path first, then Debian's Chromium, then the Chrome that
// hosted Linux build agents ship. None found = the test command fails with the fix, never a silent skip.
import { existsSync } from 'node:fs';

export function findBrowser(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string {
  const candidates = [env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  const found = candidates.find((path) => exists(path));
  if (!found) {
    throw new Error(
      `No Chromium found (looked at: ${candidates.join(', ')}).\n` +
        'Install one with `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chrome/Chromium binary.',
    );
  }
  return found;
}
