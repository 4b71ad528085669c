// Smoke test for the UI test toolchain: playwright-core driving Debian's
// /usr/bin/chromium (no `playwright install`), clipboard round-trip,
// keyboard Tab focus order, and an axe-core accessibility scan.
//
// Run: npm ci && node smoke.mjs   (CHROMIUM=/path/to/chromium to override)
import http from 'node:http';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Vigil UI smoke</title></head>
<body>
<main>
  <h1>Vigil UI smoke</h1>
  <button id="copy" type="button">Copy</button>
  <label for="q">Search</label> <input id="q" type="text">
  <output id="status"></output>
</main>
<script>
  document.getElementById('copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText('a\\tb');
      document.getElementById('status').textContent = 'copied';
    } catch (e) {
      document.getElementById('status').textContent = 'error: ' + e;
    }
  });
</script>
</body>
</html>`;

// Tiny server on 127.0.0.1 (a secure context, unlike data: URLs).
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: EXECUTABLE,
  headless: true,
  args: ['--no-sandbox'],
});
let failed = false;
try {
  console.log(`browser: ${browser.version()}`);
  const context = await browser.newContext({
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  await page.goto(origin + '/');

  // 1. Clipboard round-trip.
  await page.click('#copy');
  await page.waitForFunction(() => document.getElementById('status').textContent !== '');
  const status = await page.textContent('#status');
  assert.equal(status, 'copied', `click handler failed: ${status}`);
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(clip, 'a\tb');
  console.log('clipboard: ok (read back %j)', clip);

  // 2. Keyboard: Tab moves focus through the controls in DOM order.
  // Reload so the sequential-focus starting point is the top of the document
  // (blur() alone keeps it at the last-clicked button).
  await page.goto(origin + '/');
  const focused = [];
  for (let i = 0; i < 2; i++) {
    await page.keyboard.press('Tab');
    focused.push(await page.evaluate(() => document.activeElement?.id));
  }
  assert.deepEqual(focused, ['copy', 'q']);
  console.log('keyboard: ok (Tab order %s)', focused.join(' -> '));

  // 3. axe-core scan.
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run());
  const byImpact = {};
  for (const v of results.violations) byImpact[v.impact] = (byImpact[v.impact] || 0) + 1;
  console.log(`axe ${results.testEngine.version}: ${results.violations.length} violation(s)`, byImpact);
  for (const v of results.violations) console.log(`  [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} node(s))`);
  assert.equal(results.violations.length, 0, 'smoke page should have no axe violations');

  await context.close();
  console.log('smoke: PASS');
} catch (e) {
  failed = true;
  console.error('smoke: FAIL\n', e);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
