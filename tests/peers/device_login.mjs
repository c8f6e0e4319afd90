// A person signing a device in, with a real browser: headless Chromium (Debian) driven by
// playwright-core opens the verification URL, types the credentials and approves.
// usage: node device_login.mjs VERIFICATION_URL_COMPLETE USER PASSWORD
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [url, user, password] = process.argv.slice(2);
if (!url || !user || !password) {
  console.error('usage: node device_login.mjs VERIFICATION_URL_COMPLETE USER PASSWORD');
  process.exit(64);
}
const profile = mkdtempSync(join(tmpdir(), 'octomesh-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
try {
  const page = await context.newPage();
  await page.goto(url, { timeout: 30000 });
  const code = await page.inputValue('#user_code');
  if (!code) throw new Error('the page did not fill in the user code');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[value="approve"]')]);
  const text = await page.textContent('body');
  if (!text.includes('Signed in as')) throw new Error(`not signed in: ${text.trim().slice(0, 200)}`);
  console.log(`OK chromium signed in ${code} at ${url.split('?')[0]}`);
} catch (error) {
  console.error(`FAIL chromium device login: ${error.message}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
