import { existsSync } from 'node:fs';

/**
 * Where the browser tests find Chromium (Debian's, or CHROMIUM_PATH), and how they start it.
 * Like the servers: missing → a loud skip, except under CI=true, where it fails the run.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function requireChromium(what: string): boolean {
  if (existsSync(chromiumPath)) return true;
  const message = `no Chromium at ${chromiumPath} for ${what}: apt-get install -y chromium`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** SKIPPING ${what}: ${message} ***\n`);
  return false;
}

/** Launch options for playwright-core: headless, and nothing that reaches for the network. */
export const chromiumLaunchOptions = {
  executablePath: chromiumPath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
};
