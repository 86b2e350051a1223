// End-to-end flow of the web UI in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded).
//
//   node e2e/run.mjs <base url> <admin key> [screenshot dir]
//
// Setup goes through the public API as a script would (a team and its key, the arithmetic datasets, a tiny
// pretrained base model); everything the issue lists is then done in the browser:
//   1. sign in; 2. upload a dataset with a bad line and see the line error; 3. create a reward spec and
//   try it; 4. launch a small GRPO job and watch its curve gain points live; 5. cancel it; 6. open the
//   playground and get completions from two models.
// A screenshot of every page is saved (laptop width, and tablet width for some). Exits non-zero on failure.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, adminKey, shotDir = 'target/e2e-screenshots'] = process.argv.slice(2);
if (!base || !adminKey) {
  console.error('usage: node e2e/run.mjs <base url> <admin key> [screenshot dir]');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const LAPTOP = { width: 1366, height: 900 };
const TABLET = { width: 820, height: 1180 };
const started = Date.now();
const log = (...a) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
mkdirSync(shotDir, { recursive: true });

async function call(method, path, body, key = adminKey) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitFor(what, fn, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---- setup through the API ----
const team = await call('POST', '/v1/teams', { name: `e2e-${Date.now()}` });
const { key } = await call('POST', `/v1/teams/${team.id}/api-keys`, { name: 'browser' });
const sets = await call('POST', '/v1/datasets/generate', { generator: 'arithmetic', digits: 1, corpus_size: 60,
  train_prompts: 60, eval_prompts: 20, name: 'arith' }, key);
const [corpus, train, evalSet] = sets.data;
const base1 = await call('POST', '/v1/models', { name: 'tiny-base', recipe: 'tiny-gpt', dataset: corpus.id, seed: 1,
  hyperparameters: { n_layer: 1, n_embd: 32, n_head: 2, block_size: 16, max_steps: 30, batch_size: 16, eval_interval: 0 } }, key);
log('setup: team', team.id, 'base model', base1.id, 'pretraining');

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: LAPTOP });
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(String(e)));
// Answers the UI expects to fail (a wrong key on purpose, the rejected upload, the refused launch, the image
// samples of a job that has none) are not errors; anything else 4xx/5xx is reported.
const EXPECTED = [/\/v1\/jobs\?limit=1$/, /\/v1\/datasets$/, /\/v1\/jobs$/, /\/v1\/jobs\/job_\w+\/samples$/];
const badResponses = [];
page.on('response', (r) => {
  if (r.status() >= 400 && !EXPECTED.some((e) => e.test(r.url()))) badResponses.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});
page.setDefaultTimeout(30_000);
const shots = [];
async function shot(name, viewport = LAPTOP) {
  if (viewport !== LAPTOP) await page.setViewportSize(viewport);
  await page.waitForTimeout(300); // let charts resize
  const file = join(shotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
  if (viewport !== LAPTOP) await page.setViewportSize(LAPTOP);
}
const expectText = (text, opts) => page.getByText(text, opts).first().waitFor();

try {
  // ---- 1. sign in ----
  await page.goto(`${base}/jobs`);
  await page.getByLabel('API key').waitFor();
  await shot('01-sign-in');
  await page.getByLabel('API key').fill('not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectText('The API key is not valid.');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  log('1. signed in');

  // ---- 2. upload a dataset with a bad line ----
  await page.getByRole('link', { name: 'Datasets' }).click();
  await page.getByRole('heading', { name: 'Datasets', exact: true }).waitFor();
  const bad = '{"prompt":"1+1=","answer":"2"}\n{"prompt": "2+2=", "answer": }\n{"prompt":"3+3=","answer":"6"}\n';
  await page.getByLabel('JSONL file').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('.line-errors').getByText('Line 2').waitFor();
  // the preview of a real dataset
  await page.getByRole('row', { name: new RegExp(train.id) }).getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('table', { name: /First rows of/ }).waitFor();
  await shot('02-datasets-line-error');
  log('2. line error shown');

  // ---- 3. create a reward spec and try it ----
  await page.getByRole('link', { name: 'Reward specs' }).click();
  await page.getByLabel('Name').fill('exact-e2e');
  await page.getByRole('button', { name: 'Validate' }).click();
  await expectText(/Valid\. Items must have: answer/);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: /exact-e2e rs_/ }).waitFor();
  await page.getByLabel('Item (JSON)').fill('{"answer": "42"}');
  await page.getByLabel('Sample output').fill('42');
  await page.getByRole('button', { name: 'Score' }).click();
  await page.getByTestId('reward').filter({ hasText: '1' }).waitFor();
  await page.getByLabel('Sample output').fill('41');
  await page.getByRole('button', { name: 'Score' }).click();
  await page.getByTestId('reward').filter({ hasText: '0' }).waitFor();
  await shot('03-reward-specs-try-it');
  log('3. reward spec created and tried');

  // ---- 4. launch a small job and watch its curve gain points live ----
  await waitFor('base model ready', async () => (await call('GET', `/v1/models/${base1.id}`, null, key)).status === 'ready');
  await page.getByRole('link', { name: 'Launch job' }).first().click();
  await page.getByLabel('num_generations').waitFor();
  await page.getByLabel('Model').selectOption(base1.id);
  await page.getByLabel('Dataset', { exact: true }).selectOption(train.id);
  await page.getByLabel('Eval dataset').selectOption(evalSet.id);
  const spec = (await call('GET', '/v1/reward-specs?limit=100', null, key)).data.find((s) => s.name === 'exact-e2e');
  await page.getByLabel('Reward spec', { exact: true }).selectOption(spec.id);
  await page.getByLabel('Suffix').fill('e2e');
  const hp = { max_steps: '2000', prompts_per_step: '8', num_generations: '1', max_completion_length: '4', eval_interval: '5', eval_limit: '20' };
  for (const [k, v] of Object.entries(hp)) await page.getByLabel(k, { exact: true }).fill(v);
  await page.getByRole('button', { name: 'Launch job' }).click();
  // a validation error from the problem details, inline at its field
  const genField = page.locator('.field', { has: page.getByLabel('num_generations', { exact: true }) });
  await genField.locator('.field-error').getByText(/at least 2 generations/).waitFor();
  await shot('04-launch-job-validation');
  await page.getByLabel('num_generations', { exact: true }).fill('4');
  await page.getByRole('button', { name: 'Launch job' }).click();
  await page.getByRole('heading', { name: /^Job job_/ }).waitFor();
  const jobId = (await page.getByRole('heading', { name: /^Job job_/ }).locator('code').textContent()).trim();
  log('4. launched', jobId);
  const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: /^train\/reward$/ }) });
  await chart.waitFor({ timeout: 60_000 });
  const points = async () => Number(await chart.getAttribute('data-points'));
  // live: the curve keeps gaining points while the page is open (three readings, each higher than the last)
  const readings = [await points()];
  for (let i = 0; i < 2; i++) {
    const last = readings[readings.length - 1];
    await waitFor('the reward curve to gain points', async () => (await points()) > last, 60_000);
    await page.waitForTimeout(1000);
    readings.push(await points());
  }
  log(`4. reward curve grew live: ${readings.join(' -> ')} points`);
  // every metric under its API name: its own chart, or a series (legend entry) in its group's chart
  for (const name of ['train/loss', 'train/kl', 'eval/accuracy', 'train/reward/exact/mean', 'train/reward/std']) {
    await page.locator('figure.chart').filter({ hasText: name }).first().waitFor({ timeout: 60_000 });
  }
  await page.getByRole('list', { name: 'Event log' }).getByText('job.started').waitFor();
  await page.getByText('● live').first().waitFor();
  await shot('05-job-detail-live');
  await shot('05-job-detail-live-tablet', TABLET);

  // ---- 5. cancel it ----
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('h1 .badge', { hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
  await page.getByRole('list', { name: 'Event log' }).getByText('job.cancelled').waitFor();
  const job = await call('GET', `/v1/jobs/${jobId}`, null, key);
  if (job.status !== 'cancelled') throw new Error(`job is ${job.status}, not cancelled`);
  // checkpoints and the completions gallery of the cancelled run
  await page.getByRole('button', { name: 'Show completions' }).click();
  await page.locator('table.completions').waitFor({ timeout: 60_000 });
  await shot('06-job-detail-cancelled');
  log('5. cancelled at step', job.current_step);

  // ---- jobs list and models ----
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.getByRole('row', { name: new RegExp(jobId) }).waitFor();
  await page.locator('.sparkline').first().waitFor();
  await shot('07-jobs');
  await shot('07-jobs-tablet', TABLET);
  await page.getByRole('link', { name: 'Models' }).click();
  await page.getByRole('list', { name: 'Model lineage' }).waitFor();
  await expectText(/tiny-base/);
  await shot('08-models');

  // ---- 6. the playground: completions from two models ----
  const models = [];
  for (let after = ''; ;) {
    const page1 = await call('GET', `/v1/models?limit=100${after}`, null, key);
    models.push(...page1.data);
    if (!page1.has_more) break;
    after = `&after=${page1.data[page1.data.length - 1].id}`;
  }
  // the newest checkpoint of the cancelled run (each checkpoint is a model, name@step)
  const step = (m) => Number(/@(\d+)$/.exec(m.name)?.[1] ?? -1);
  const aligned = models.filter((m) => m.job === jobId && m.status === 'ready').sort((x, y) => step(y) - step(x))[0];
  if (!aligned) throw new Error(`no checkpoint model of ${jobId} in ${JSON.stringify(models.map((m) => m.name))}`);
  await page.locator('summary', { hasText: jobId }).click();
  await page.getByRole('link', { name: `Open ${aligned.name} in the playground` }).click();
  await page.getByRole('heading', { name: 'Playground', exact: true }).waitFor();
  if ((await page.getByLabel('Left model', { exact: true }).inputValue()) !== base1.id) throw new Error('left model is not the base');
  await page.getByLabel('Prompt').fill('3+4=');
  await page.getByLabel('Samples (n)').fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  for (const side of ['Left model output', 'Right model output']) {
    await page.getByLabel(side).locator('ol.completions-list li').nth(1).waitFor({ timeout: 60_000 });
  }
  await shot('09-playground');
  await shot('09-playground-tablet', TABLET);
  log('6. completions from', base1.id, 'and', aligned.id);

  const unexpected = consoleErrors.filter((e) => !e.startsWith('Failed to load resource'));
  if (badResponses.length || unexpected.length) throw new Error(`unexpected failures: ${[...badResponses, ...unexpected].join('\n')}`);
  console.log(`e2e: all 6 steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots:\n  ${shots.join('\n  ')}`);
} catch (e) {
  await page.screenshot({ path: join(shotDir, 'failure.png'), fullPage: true }).catch(() => {});
  console.error('e2e FAILED:', e);
  if (badResponses.length) console.error('failed requests:', badResponses.slice(0, 20));
  const unexpected = consoleErrors.filter((e) => !e.startsWith('Failed to load resource'));
  if (unexpected.length) console.error('browser console errors:', unexpected.slice(0, 20));
  process.exitCode = 1;
} finally {
  await browser.close();
}
