// The Web UI scenario, run by crates/vigil/tests/it/ui_browser.rs against a
// real `vigil serve` and the GitLab simulator. Every step asserts on what the
// page shows; every page is screenshotted into $ARTIFACTS and checked with
// axe-core (no serious or critical violation). Fails on any console error
// (a CSP violation is one) and on any request to a host other than Vigil's
// and GitLab's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const env = process.env;
const VIGIL = env.VIGIL_URL;
const GITLAB = env.GITLAB_URL;
const ARTIFACTS = env.ARTIFACTS || 'artifacts';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const domain = GITLAB.replace(/^https?:\/\//, '');

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const context = await browser.newContext({
  permissions: ['clipboard-read', 'clipboard-write'],
  viewport: { width: 1440, height: 900 },
});
const page = await context.newPage();
page.setDefaultTimeout(15000);
const problems = [];
const hosts = new Set();
const failures = [];
page.on('console', (message) => {
  // Failed loads are checked from the responses below.
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
    problems.push(`console: ${message.text()} at ${JSON.stringify(message.location())}`);
  }
});
page.on('response', (response) => {
  if (response.status() >= 400) failures.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
});
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
page.on('request', (request) => hosts.add(new URL(request.url()).host));

let shot = 0;
const report = [];
/** Screenshot and axe-core on the current page. */
async function check(name) {
  await page.waitForLoadState('load');
  shot += 1;
  const file = `${ARTIFACTS}/${String(shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  // Evaluated through the DevTools protocol, so the page's CSP stays on.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  report.push(`${name}: ${violations.length} axe violation(s), ${severe.length} serious or critical`);
  assert.deepEqual(severe, [], `${name}: serious or critical accessibility violations`);
}

async function heading(text) {
  await page.getByRole('heading', { name: text }).first().waitFor();
}

/** Waits until `selector` matches exactly `count` elements (after an htmx swap). */
async function countOf(selector, count) {
  await page.waitForFunction(([css, n]) => document.querySelectorAll(css).length === n, [selector, count]);
}

/** How many lines the text of `locator` takes. */
async function lines(locator) {
  return locator.evaluate((element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
  });
}

async function clipboard() {
  return page.evaluate(() => navigator.clipboard.readText());
}

async function step(name, body) {
  const started = Date.now();
  await body();
  console.log(`ok ${name} (${Date.now() - started} ms)`);
}

try {
  await step('sign in', async () => {
    await page.goto(`${VIGIL}/`);
    await heading('Sign in to Vigil');
    assert.match(page.url(), /\/login\?next=\//);
    await check('login');
    await page.getByLabel('Username').fill(env.VIGIL_USER);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('wrong username or password').waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), env.VIGIL_USER, 'the username is kept');
    await page.getByLabel('Password').fill(env.VIGIL_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Dashboard');
    await check('dashboard-empty');
  });

  await step('catalogue', async () => {
    // The browser signs in to GitLab too, as the admin would.
    await page.goto(`${GITLAB}/users/sign_in?sim_user=${env.GITLAB_USER}`);
    await page.goto(`${VIGIL}/integrations`);
    await heading('Data Sources & Integrations');
    await page.getByRole('searchbox', { name: 'Search vendors' }).fill('bitbucket');
    assert.equal(await page.locator('.vendor:visible').count(), 1);
    await page.getByRole('searchbox', { name: 'Search vendors' }).fill('');
    await check('integrations-empty');
    await page.getByRole('link', { name: 'Connect', exact: true }).click();
  });

  await step('wizard: Configure Domain', async () => {
    await heading('Configure Domain');
    assert.match(await page.locator('.steps [aria-current="step"]').innerText(), /Configure Domain/);
    await page.getByLabel('GitLab URL').fill('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Check and continue' }).click();
    await page.locator('#step-error').waitFor();
    assert.equal(await page.getByLabel('GitLab URL').inputValue(), 'http://127.0.0.1:9', 'the input is kept');
    // A sentence first; the technical text behind "Details".
    assert.match(await page.locator('#step-error > p').innerText(), /^Nothing answers on that host and port: the connection was refused\./);
    const details = page.locator('#step-error details');
    assert.equal(await details.locator('code').isVisible(), false, 'the details start closed');
    await details.locator('summary').click();
    assert.match(await details.locator('code').innerText(), /Connection refused/);
    await check('wizard-1-error');
    // GitLab answers in 3 s (the test delays it): the page shows it is checking.
    await page.getByLabel('GitLab URL').fill(GITLAB);
    await page.getByRole('button', { name: 'Check and continue' }).click();
    const checking = page.getByRole('button', { name: 'Checking …' });
    await checking.waitFor();
    assert.equal(await checking.isDisabled(), true, 'the button cannot be pressed twice');
    assert.equal(await page.locator('form[data-busy]').getAttribute('aria-busy'), 'true');
    assert.equal(await page.locator('#step-error').count(), 0, 'the old error is gone');
  });

  await step('wizard: Register OAuth App', async () => {
    await heading('Register OAuth App');
    // Each Copy button names what it copies.
    await page.getByRole('button', { name: 'Copy the Authorization Callback URL' }).click();
    assert.equal(await clipboard(), `${VIGIL}/oauth/gitlab/callback`);
    // The brief's names, and GitLab's own for the callback.
    assert.match(await page.locator('label[for="app-callback"]').innerText(), /Authorization Callback URL.*Redirect URI/);
    assert.equal(await page.getByRole('textbox', { name: 'Homepage URL' }).inputValue(), VIGIL);
    await page.getByRole('button', { name: 'Copy the Homepage URL' }).click();
    assert.equal(await clipboard(), VIGIL);
    assert.equal(await page.getByRole('textbox', { name: 'Application Name' }).inputValue(), `Vigil (${new URL(VIGIL).host})`);
    const link = page.getByRole('link', { name: /Admin Area/ });
    assert.equal(await link.getAttribute('href'), `${GITLAB}/admin/applications/new`);
    assert.equal(await page.getByLabel('Transporter applet').isDisabled(), true);
    await check('wizard-2');
    await page.getByRole('button', { name: 'Continue' }).click();
  });

  await step('wizard: Set Client ID and Secret, then GitLab consent', async () => {
    await heading('Set Client ID and Secret');
    await check('wizard-3');
    await page.getByLabel('Application ID').fill(env.CLIENT_ID);
    // A typo in the Secret first: GitLab refuses it only after the consent.
    await page.getByLabel('Secret').fill(`${env.CLIENT_SECRET}x`);
    await page.getByRole('button', { name: 'Authorise in GitLab' }).click();
    await page.getByRole('button', { name: 'Authorize Vigil' }).click();
    await page.getByRole('heading', { name: 'GitLab was not connected' }).waitFor();
    assert.match(await page.locator('#step-error > p').innerText(), /^GitLab did not accept the Application ID or Secret/);
    await page.locator('#step-error summary').click();
    assert.match(await page.locator('#step-error code').innerText(), /invalid_client/, 'GitLab\'s words are in the details');
    await check('wizard-3-refused');
    await page.getByRole('link', { name: 'Enter the ID and Secret again' }).click();
    await heading('Set Client ID and Secret');
    assert.equal(await page.getByLabel('Application ID').inputValue(), env.CLIENT_ID, 'the ID is kept');
    await page.getByLabel('Secret').fill(env.CLIENT_SECRET);
    await page.getByRole('button', { name: 'Authorise in GitLab' }).click();
    await page.getByRole('button', { name: 'Authorize Vigil' }).click();
  });

  await step('wizard: Select Repositories', async () => {
    await heading(`Select Repositories on ${domain}`);
    assert.equal(await page.getByRole('radio', { name: /^Permit all existing repositories/ }).isChecked(), true, 'a new instance starts on the first option');
    await page.getByRole('radio', { name: /^Permit all existing and future repositories/ }).waitFor();
    assert.equal(await page.locator('#selection-count').innerText(), '0 of 25 selected');
    await page.getByLabel(/Choose from repository list/).check();
    await page.getByRole('button', { name: 'Save selection' }).click();
    await page.getByText('choose at least one repository').waitFor();
    await page.getByLabel('Search repositories').fill('svc-0');
    await page.getByRole('button', { name: 'Search' }).click();
    await countOf('#projects tbody tr', 9);
    assert.match(await page.locator('#projects').innerText(), /team\/svc-09/);
    await page.getByLabel('Search repositories').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await countOf('#projects tbody tr', 20);
    await page.getByText('team/svc-19').waitFor();
    await page.getByLabel('Select all repositories on this page').check();
    assert.equal(await page.locator('#selection-count').innerText(), '20 of 25 selected');
    await check('wizard-4');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('20 chosen on other pages').waitFor();
    await countOf('#projects tbody tr', 5);
    await page.getByLabel('team/svc-24').check();
    assert.equal(await page.locator('#selection-count').innerText(), '21 of 25 selected');
    assert.equal(await page.getByLabel(/Choose from repository list/).isChecked(), true);
    await page.getByRole('button', { name: 'Save selection' }).click();
  });

  await step('wizard: Done', async () => {
    await heading('Instance Successfully Created');
    await page.getByText('21 selected').waitFor();
    await page.getByText('21 of 21 done').waitFor({ timeout: 60000 });
    await check('wizard-5-done');
    await page.getByRole('link', { name: 'Close', exact: true }).click();
    await heading('Data Sources & Integrations');
  });

  await step('instances table: Connected, copy entire row', async () => {
    await page.goto(`${VIGIL}/integrations`);
    const row = page.locator('#instances tbody tr').first();
    await row.getByText('Connected').waitFor();
    await row.click({ button: 'right' });
    const menu = page.getByRole('menu', { name: 'Instance actions' });
    await menu.waitFor();
    await check('integrations-menu');
    await menu.getByRole('menuitem', { name: 'Copy entire row' }).click();
    const cells = (await clipboard()).split('\t');
    assert.deepEqual(cells.slice(0, 6), [domain, 'GitLab Self Managed', 'Connected', '21', 'Direct', 'ada'], cells.join(' | '));
    assert.match(cells[6], /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    assert.equal(cells.length, 8);
    // The same menu from the keyboard: the ⋯ button, arrows, Escape.
    await row.getByRole('button', { name: `Actions for ${domain}` }).focus();
    await page.keyboard.press('Enter');
    await menu.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Edit');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Connect again');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Copy entire row');
    // The destructive action comes last, after a separator.
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Delete');
    assert.equal(await page.evaluate(() => document.activeElement.previousElementSibling.getAttribute('role')), 'separator');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Actions for/);
  });

  await step('a vendor card selects the vendor', async () => {
    await page.locator('.vendor', { hasText: 'Bitbucket' }).locator('p').click();
    await page.waitForURL(/vendor=bitbucket/);
    await page.getByText('No Bitbucket Data Center instance').waitFor();
    await page.locator('.vendor', { hasText: 'GitLab Self' }).locator('p').click();
    await page.waitForURL(/vendor=gitlab/);
    // The name's hyphen does not break: "(On-Prem)" stays on one line.
    assert.equal(await page.locator('.vendor.chosen h3').innerText(), 'GitLab Self Managed (On\u2011Prem)');
    await countOf('#instances tbody tr', 1);
  });

  await step('edit the repository selection', async () => {
    const row = page.locator('#instances tbody tr').first();
    await row.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Edit' }).click();
    await heading(`Select Repositories on ${domain}`);
    assert.equal(await page.getByLabel(/Choose from repository list/).isChecked(), true, 'the saved mode is shown');
    assert.equal(await page.getByLabel('team/svc-01').isChecked(), true, 'the saved choice is shown');
    await page.getByRole('radio', { name: /^Permit all existing repositories/ }).check();
    await page.getByRole('button', { name: 'Save selection' }).click();
    // An Edit is not a new connection: no "Instance Successfully Created".
    await page.getByRole('heading', { name: 'Repository selection saved' }).waitFor();
    assert.equal(await page.getByText('Instance Successfully Created').count(), 0);
    await page.getByText('25 selected').waitFor();
  });

  await step('connect again through GitLab consent', async () => {
    await page.goto(`${VIGIL}/integrations`);
    await page.locator('#instances tbody tr').first().click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Connect again' }).click();
    // The link only shows a page; its button posts (with the CSRF token).
    await heading('Authorise Vigil in GitLab');
    await page.getByRole('button', { name: 'Continue to GitLab' }).click();
    await page.getByRole('button', { name: 'Authorize Vigil' }).click();
    await heading(`Select Repositories on ${domain}`);
    assert.equal(await page.getByRole('radio', { name: /^Permit all existing repositories/ }).isChecked(), true, 'the selection is kept');
  });

  await step('issues: IaC by framework, resource and fix', async () => {
    await page.goto(`${VIGIL}/issues?kind=iac`);
    await heading('Issues');
    await page.getByLabel('Framework').selectOption('terraform');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/framework=terraform/);
    const rows = page.locator('#issues tbody tr');
    await page.getByText('RDS instance is publicly accessible').first().waitFor();
    assert.ok(await rows.count() >= 1, 'the Terraform issues are listed');
    await page.getByText('RDS instance is publicly accessible').first().click();
    await page.locator('#issue-detail').waitFor();
    assert.match(await page.locator('#issue-resource').innerText(), /aws_db_instance\.orders \(terraform\)/);
    await page.getByRole('heading', { name: 'Why it matters' }).waitFor();
    await page.getByRole('heading', { name: 'Fix' }).waitFor();
    assert.match(await page.locator('.snippet').innerText(), /publicly_accessible = true/, 'the offending line is shown');
    await check('iac-issue');
  });

  await step('issues: vulnerable dependencies by ecosystem, fix and advisory', async () => {
    await page.goto(`${VIGIL}/issues?kind=vulnerability`);
    await heading('Issues');
    await page.getByLabel('Ecosystem').selectOption('crates.io');
    await page.getByLabel('Fix available').selectOption('yes');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/ecosystem=crates\.io.*fix=yes|fix=yes.*ecosystem=crates\.io/);
    await page.getByText('hyper 0.14.9:').first().waitFor();
    await page.getByText('hyper 0.14.9:').first().click();
    await page.locator('#issue-detail').waitFor();
    assert.match(await page.locator('#issue-package').innerText(), /hyper 0\.14\.9 \(crates\.io, (direct|transitive)\)/);
    assert.match(await page.locator('#issue-fixed-in').innerText(), /^\d+\.\d+/, 'a fixed version is named');
    assert.match(await page.locator('#issue-advisory').innerText(), /^RUSTSEC-\d{4}-\d{4}$/);
    assert.match(await page.locator('#issue-cvss').innerText(), /^\d+\.\d CVSS:3\.1\//, 'the score, then its vector');
    await check('dependency-issue');
  });

  await step('issues: filter, detail, suppress', async () => {
    await page.goto(`${VIGIL}/issues?kind=secret`);
    await heading('Issues');
    const rows = page.locator('#issues tbody tr');
    await rows.first().waitFor();
    const before = await rows.count();
    assert.ok(before >= 2, `expected the planted secrets, saw ${before} rows`);
    assert.equal(await page.getByLabel('Kind').inputValue(), 'secret', 'the filter is in the form');
    await check('issues');
    const title = await rows.first().locator('td a').first().innerText();
    await rows.first().locator('td a').first().click();
    await page.locator('#issue-detail').waitFor();
    assert.match(page.url(), /[?&]issue=\d+/, 'the URL names the open issue');
    assert.match(page.url(), /kind=secret/, 'the URL keeps the filters');
    await page.getByRole('heading', { name: 'Remediation' }).waitFor();
    const code = await page.locator('.snippet').innerText();
    assert.ok(!code.includes('kX9vQ2mT7pL4wR8sN3bY6cF1hJ5dG0aZ2eU7iO4q') && !code.includes('AKIAZ7VRSQ5TQQN4XN2M'), `the secret is masked: ${code}`);
    await check('issue-detail');
    await page.locator('#issue-detail').getByLabel('Reason').fill('test fixture, not a live key');
    await page.locator('#issue-detail').getByRole('button', { name: 'Suppress', exact: true }).click();
    await page.locator('#issue-detail').getByRole('button', { name: 'Reopen' }).waitFor();
    await countOf('#issues tbody tr', before - 1);
    await page.goto(`${VIGIL}/issues?kind=secret&status=suppressed`);
    await page.getByText(title).first().waitFor();
    assert.equal(await rows.count(), 1);
    // Bulk: suppress every other open secret, then reopen them all.
    await page.goto(`${VIGIL}/issues?kind=secret`);
    await page.getByLabel('Select every issue on this page').check();
    await page.getByLabel('Reason', { exact: true }).fill('rotated; history only');
    await page.getByRole('button', { name: 'Suppress', exact: true }).click();
    await page.getByText(`${before - 1} of ${before - 1} issues suppressed`).waitFor();
    await countOf('#issues tbody tr input[name="ids"]', 0);
    await page.goto(`${VIGIL}/issues?kind=secret&status=suppressed`);
    await countOf('#issues tbody tr input[name="ids"]', before);
    await page.getByLabel('Select every issue on this page').check();
    await page.getByRole('button', { name: 'Reopen', exact: true }).click();
    await page.getByText(`${before} of ${before} issues reopened`).waitFor();
    await countOf('#issues tbody tr input[name="ids"]', 0);
  });

  await step('layout at 1024 and 1400 px', async () => {
    for (const width of [1024, 1400]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${VIGIL}/integrations`);
      const kebab = page.locator('#instances .kebab').first();
      const box = await kebab.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${width} px: the ⋯ button is in view (${JSON.stringify(box)})`);
      const created = page.locator('#instances tbody tr').first().locator('td').nth(6);
      assert.equal(await lines(created), 1, `${width} px: the Created date does not wrap`);
      if (width >= 1400) {
        // Every column in view: the table does not scroll under the ⋯ column.
        const lastSync = await page.locator('#instances tbody tr').first().locator('td').nth(7).boundingBox();
        assert.ok(lastSync.x + lastSync.width <= box.x, `${width} px: Last sync is not under the ⋯ column`);
      }
      // Every card's heading row has the same height, so the cards line up.
      const rows = await page.locator('.vendor .row').evaluateAll((all) => all.map((row) => row.getBoundingClientRect().height));
      assert.equal(new Set(rows).size, 1, `${width} px: vendor heading rows ${rows}`);
      await check(`integrations-${width}`);
      await page.goto(`${VIGIL}/issues?kind=secret`);
      await page.locator('#issues tbody tr td a').first().click();
      await page.locator('#issue-detail').waitFor();
      // Beside or over the panel, titles keep their width and paths whole.
      const title = await page.locator('#issues tbody tr td a').first().boundingBox();
      assert.ok(title.width >= 120, `${width} px: the title column is ${title.width} px wide`);
      assert.equal(await lines(page.locator('#issues tbody td.nowrap').first()), 1, `${width} px: the repository path keeps one line`);
      await check(`issue-panel-${width}`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('repositories and scans', async () => {
    await page.goto(`${VIGIL}/repositories`);
    await heading('Repositories');
    const app = page.locator('#repositories tbody tr', { hasText: 'team/app' });
    await app.getByRole('button', { name: 'Scan now team/app' }).click();
    await app.getByText(/Scan queued|Already queued/).waitFor();
    await check('repositories');
    await page.goto(`${VIGIL}/scans`);
    await heading('Scans');
    await check('scans');
    await page.goto(`${VIGIL}/`);
    await heading('Dashboard');
    assert.notEqual(await page.locator('#kpi-open').innerText(), '0');
    await check('dashboard');
  });

  await step('brokers, tokens, users', async () => {
    await page.goto(`${VIGIL}/brokers`);
    await page.getByLabel(/^Name/).fill('dc1-broker');
    await page.getByRole('button', { name: 'Register' }).click();
    const command = await page.locator('#enrolment-command').innerText();
    assert.match(command, /vigil transporter --hub ws:\/\/127\.0\.0\.1:\d+\/transporter/);
    assert.match(command, /--enrolment-token vgle_/);
    await check('brokers');
    await page.goto(`${VIGIL}/settings/tokens`);
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    assert.match(await page.getByLabel('The new token').inputValue(), /^vgl_/);
    await check('tokens');
    await page.goto(`${VIGIL}/settings/users`);
    await heading('Users');
    await check('users');
    await page.goto(`${VIGIL}/settings/policy`);
    await heading('Default policy');
    await page.getByLabel('Fail on findings of severity').selectOption('high');
    await page.getByLabel(/^Never fail on/).fill('SEC001, iac');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('heading', { name: /^Set by ada on/ }).waitFor();
    await check('policy');
    await page.goto(`${VIGIL}/settings/audit`);
    await page.locator('#audit').getByText('issue.suppress').first().waitFor();
    await check('audit');
  });

  await step('keyboard only through the wizard', async () => {
    await page.goto(`${VIGIL}/integrations/gitlab/new`);
    await heading('Configure Domain');
    // The address field has the focus on arrival.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'base_url');
    await page.keyboard.type(GITLAB);
    await page.keyboard.press('Enter');
    await heading('Register OAuth App');
    for (let presses = 0; presses < 40; presses += 1) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement.textContent.trim())) === 'Continue') break;
    }
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Continue', 'Tab reaches Continue');
    await page.keyboard.press('Enter');
    await heading('Set Client ID and Secret');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'client_id');
  });

  await step('delete the instance', async () => {
    await page.goto(`${VIGIL}/integrations`);
    const row = page.locator('#instances tbody tr').first();
    await row.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: `Delete ${domain}?` }).waitFor();
    const footprint = await dialog.locator('#delete-footprint').innerText();
    assert.match(footprint, /25 webhooks from GitLab/);
    assert.match(footprint, /25 repositories/);
    assert.match(footprint, /\d+ scans and \d+ issues/);
    await check('delete-dialog');
    await dialog.getByRole('button', { name: 'Delete instance' }).click();
    await page.getByText(`${domain} is being deleted`).waitFor();
    const deadline = Date.now() + 30000;
    while (await page.locator('#instances').count() > 0) {
      assert.ok(Date.now() < deadline, 'the instance did not go away');
      await page.waitForTimeout(300);
      await page.reload();
    }
    await check('integrations-deleted');
  });

  const allowed = new Set([new URL(VIGIL).host, new URL(GITLAB).host]);
  const foreign = [...hosts].filter((host) => !allowed.has(host));
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(problems, [], 'console errors');
  // Only the refusals the scenario provoked.
  const expected = [/^404 GET \/favicon\.ico$/, /^401 POST \/login$/, /^422 POST \/integrations\/gitlab\/new$/, /^422 POST \/integrations\/gitlab\/\d+\/repositories$/, /^400 GET \/oauth\/gitlab\/callback$/];
  const unexpected = failures.filter((line) => !expected.some((pattern) => pattern.test(line)));
  assert.deepEqual(unexpected, [], 'unexpected error responses');
  console.log(report.join('\n'));
  console.log(`ok: ${shot} screenshots in ${ARTIFACTS}`);
} catch (error) {
  await page.screenshot({ path: `${ARTIFACTS}/failure.png`, fullPage: true }).catch(() => {});
  console.log(report.join('\n'));
  console.error(`problems seen: ${JSON.stringify(problems)}`);
  console.error(`error responses: ${JSON.stringify(failures)}`);
  console.error(`at ${page.url()}`);
  throw error;
} finally {
  await browser.close();
}
