// Launches Debian's headless Chromium through playwright-core (never a downloaded browser);
// Playwright gives every launch a fresh profile directory. Every page's console and uncaught
// errors, and its authlane clients' actions and rejections, go to the token scan
// (tests/support/token-scan.mjs).
import { chromium } from 'playwright-core';
import { tokenScan } from './token-scan.mjs';

/** Where pages' authlane clients report (see token-scan-hooks.mjs). */
const binding = (where, text) => tokenScan.saw(`Chromium ${where}`, text);

function watch(page) {
  page.on('console', (message) => tokenScan.saw('Chromium console', message.text()));
  page.on('pageerror', (error) => tokenScan.saw('Chromium page error', error));
  return page;
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const newPage = browser.newPage.bind(browser);
  const newContext = browser.newContext.bind(browser);
  // Playwright's newPage makes its context through browser.newContext: the wrapped one below.
  browser.newPage = async (...args) => watch(await newPage(...args));
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    await context.exposeFunction('__authlaneTokenScan', binding);
    context.on('page', watch);
    return context;
  };
  return browser;
}
