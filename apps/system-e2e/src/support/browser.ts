import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aptInstall, which } from '@shardex/infra';
import { type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { LOG_DIR } from './processes';

/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (which downloads no browser of its
 * own). A machine without it gets it installed the way tools/infra installs MariaDB. The flags keep the browser off
 * the network beyond the page under test: no updates, sync or background requests, and a fresh profile each run.
 */

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where the screenshots of a test file go: dist/test-results/system-e2e/<name>/. */
export function screenshotDir(name: string): string {
  const dir = path.join(LOG_DIR, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function chromiumExecutable(log: (line: string) => void): Promise<string> {
  const explicit = process.env['CHROMIUM_PATH'];
  if (explicit) return explicit;
  const found = await which('chromium');
  if (found) return found;
  log('chromium is not installed: installing it from the Debian packages');
  await aptInstall(['chromium'], log);
  const installed = await which('chromium');
  if (!installed) throw new Error('apt-get installed chromium but no chromium executable is on PATH');
  return installed;
}

export interface Browser {
  page: Page;
  context: BrowserContext;
  /**
   * Console errors and uncaught exceptions of the page since the last call, except those `expectErrors` allows (e.g.
   * the browser's own "Failed to load resource" line for a 400 the test provokes on purpose).
   */
  takeErrors(): string[];
  /** Allows console errors matching this until the returned function is called. */
  expectErrors(pattern: RegExp): () => void;
  close(): Promise<void>;
}

export async function launchBrowser(log: (line: string) => void): Promise<Browser> {
  const executablePath = await chromiumExecutable(log);
  const profile = mkdtempSync(path.join(tmpdir(), 'shardex-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const seen: string[] = [];
  const allowed = new Set<RegExp>();
  const note = (text: string) => {
    if (![...allowed].some((p) => p.test(text))) seen.push(text);
  };
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') note(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (err) => note(`page error: ${err.message}`));
  return {
    page,
    context,
    takeErrors: () => seen.splice(0),
    expectErrors(pattern) {
      allowed.add(pattern);
      return () => allowed.delete(pattern);
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
