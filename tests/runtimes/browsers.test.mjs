// scenario.js in browsers, in a window and in a module Web Worker: Firefox ESR (geckodriver,
// headless), WebKitGTK's MiniBrowser (WebKitWebDriver, under Xvfb as it has no headless mode) and
// Chromium (playwright-core). Each page is served by tests/support/static.mjs with the installed
// package; each run gets its own servers (world.mjs), cross-origin with CORS as in a real app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launch } from '../support/browser.mjs';
import { startWorld } from './world.mjs';
import { expectScenario } from './expect.mjs';
import { AWAIT_RESULT, servePages } from './pages.mjs';
import { newSession, startDriver } from './webdriver.mjs';

const PAGES = { window: '/', 'module worker': '/worker.html' };

/** For each page: fresh servers, `load(url)` returns the scenario's JSON text, then the checks. */
async function runPages(t, load, check = () => {}) {
  for (const [where, path] of Object.entries(PAGES)) {
    const world = await startWorld();
    const site = await servePages(world.control);
    try {
      const result = JSON.parse(await load(site.url + path));
      t.diagnostic(result.runtime);
      check(result, where);
      expectScenario(world, result);
    } catch (e) {
      e.message = `${where}: ${e.message}`;
      throw e;
    } finally {
      await site.close();
      await world.close();
    }
  }
}

/** Runs the pages in a WebDriver browser; `driver` and the session are closed afterwards. */
async function runWebDriver(t, driver, capabilities, check) {
  let session;
  try {
    session = await newSession(driver, capabilities);
    await session.setScriptTimeout(60000);
    t.diagnostic(session.browser);
    await runPages(t, async (url) => {
      await session.navigate(url);
      return session.executeAsync(AWAIT_RESULT);
    }, check);
  } finally {
    if (session) await session.delete();
    await driver.stop();
  }
}

test('Firefox ESR (geckodriver, headless): the scenario in a window and in a module worker', async (t) => {
  const driver = await startDriver('geckodriver', (port) => ['--port', String(port), '--host', '127.0.0.1', '--log', 'error']);
  await runWebDriver(t, driver, {
    browserName: 'firefox',
    'moz:firefoxOptions': { binary: '/usr/bin/firefox-esr', args: ['-headless'], prefs: { 'browser.shell.checkDefaultBrowser': false } },
  }, (result, where) => {
    assert.match(result.runtime, /Firefox\/\d+/, where);
    assert.equal(result.runtime.startsWith('module worker'), where === 'module worker');
  });
});

/** Starts Xvfb on a display it picks itself (-displayfd); returns it and its stop(). */
async function startXvfb() {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (d) => { errors += d; });
  const display = await new Promise((resolve, reject) => {
    let text = '';
    child.stdio[3].on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(':' + text.trim());
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${errors}`)));
    child.once('error', (e) => reject(new Error(`Xvfb did not start (${e.message}): run scripts/setup.sh`)));
  });
  return { display, stop: () => { child.kill('SIGTERM'); } };
}

test('WebKitGTK (WebKitWebDriver, MiniBrowser under Xvfb): the scenario in a window and in a module worker', async (t) => {
  const xvfb = await startXvfb();
  try {
    const driver = await startDriver('WebKitWebDriver', (port) => [`--port=${port}`], { DISPLAY: xvfb.display });
    await runWebDriver(t, driver, {
      'webkitgtk:browserOptions': { binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', args: ['--automation'] },
    }, (result, where) => {
      assert.match(result.runtime, /AppleWebKit\/\d+/, where);
      assert.doesNotMatch(result.runtime, /Chrome|Firefox/, where);
    });
  } finally {
    xvfb.stop();
  }
});

test('Chromium (playwright-core): the scenario in a window and in a module worker', async (t) => {
  const browser = await launch();
  try {
    await runPages(t, async (url) => {
      const page = await browser.newPage();
      try {
        await page.goto(url);
        return await page.evaluate(`new Promise((resolve) => (function () { ${AWAIT_RESULT} })(resolve))`);
      } finally {
        await page.close();
      }
    }, (result, where) => assert.match(result.runtime, /Chrome\/\d+/, where));
  } finally {
    await browser.close();
  }
});
