// Launches Debian's headless Chromium through playwright-core (never a downloaded browser);
// Playwright gives every launch a fresh profile directory. Every page's console and uncaught
// errors go to the token scan (tests/support/token-scan.mjs).
import { chromium } from 'playwright-core';
import { tokenScan } from './token-scan.mjs';

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
  browser.newPage = async (...args) => watch(await newPage(...args));
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watch);
    return context;
  };
  return browser;
}
