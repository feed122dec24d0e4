/**
 * The browser dashboard (examples/dashboard), built with Vite exactly as a user would
 * build it, served from loopback and driven in headless Chromium against anvil. The page
 * talks to the node itself, from the browser, through the library's fetch transport.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium, CHROMIUM_PATH } from '../support/chromium';
import { toQuery } from '../../examples/dashboard/src/connectionSettings';
import { buildDashboard, startDashboardDemo } from '../../scripts/dashboardDemo';
import { FaultyRpcProxy } from '../support/FaultyRpcProxy';
import { type StaticServer, serveStatic } from '../support/staticServer';
import { waitFor } from '../support/streams';
import { SHOWS_WITHIN_MS, mineLifecycleOnBoard, shows as showsOn, taskCard } from '../support/taskBoardPage';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

const ROOT = join(__dirname, '..', '..');
/** Screenshots land here (git-ignored). */
const ARTIFACTS = join(ROOT, 'artifacts');
const POLL_INTERVAL_MS = 100;
/** Upper bound for anything the page has to show; generous, the machine is shared. */

// Without Chromium the suite is reported as skipped, except in CI, where it must run.
const inBrowser = hasChromium() || process.env['CI'] ? describe : describe.skip;
if (!hasChromium()) {
  console.warn(`dashboard e2e: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

inBrowser('the browser dashboard', () => {
  let chain: TestChain;
  let site: StaticServer;
  let browser: Browser;
  let buildDir: string;
  let page: Page;
  /** Uncaught exceptions and console errors of the current page. */
  let pageErrors: string[];
  /** Requests the browser itself reports as failed (a test that injects faults allows them). */
  let failedLoads: string[];
  let allowFailedLoads: boolean;

  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'ogpu-dashboard-'));
    [chain] = await Promise.all([startTestChain(), buildDashboard(buildDir)]);
    site = await serveStatic(buildDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await chain?.stop();
    if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    [pageErrors, failedLoads, allowFailedLoads] = [[], [], false];
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      (message.text().startsWith('Failed to load resource') ? failedLoads : pageErrors).push(message.text());
    });
  });

  afterEach(async () => {
    await page.close();
    expect(pageErrors).toEqual([]);
    if (!allowFailedLoads) expect(failedLoads).toEqual([]);
  });

  /** Waits until `selector` is on the page, and returns its text. */
  const shows = (selector: string): Promise<string> => showsOn(page, selector);

  /** The page opened from a shared link (its settings in the query) to the test chain's Nexus. */
  async function openLink(settings: { rpcUrl: string; source: string; fromBlock: number }): Promise<void> {
    const query = toQuery({ ...settings, nexus: chain.nexusAddress, pollInterval: POLL_INTERVAL_MS });
    await page.goto(`${site.url}/${query}`);
  }

  /** The page, its form filled in, watching `source` (the way a user gets there). */
  async function watchFromTheForm(source: string): Promise<void> {
    await page.goto(`${site.url}/?pollInterval=${POLL_INTERVAL_MS}`);
    await page.fill('input[name="rpc"]', chain.url);
    await page.fill('input[name="nexus"]', chain.nexusAddress);
    await page.fill('input[name="source"]', source);
    await page.click('button[name="watch"]');
    await shows('.status[data-phase="watching"]');
  }

  it('shows a task move NEW → ATTEMPTED → RESPONDED → FINALIZED as its lifecycle is mined, with its attempt and response', async () => {
    const [source, task, provider, response] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];
    await watchFromTheForm(source);
    expect(await shows('.status')).toContain('0 task(s), 0 provider(s)');
    expect(new URL(page.url()).searchParams.get('source')).toBe(source); // a link that reopens this board

    await mineLifecycleOnBoard(page, chain, { source, task, provider, response });
    expect(await page.textContent('.status')).toMatch(/1 task\(s\), 1 provider\(s\) · last change: \w+ in block \d+/);
    expect(await page.textContent('.diagnostics')).toContain('RPC retries: 0');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-finalized.png'), fullPage: true });
  });

  it('undoes what a reorg took back: a task shown ATTEMPTED goes back to NEW, without its attempt', async () => {
    const [source, task, provider] = [randomAddress(), randomAddress(), randomAddress()];
    const { blockNumber: fromBlock } = await chain.send('publishTask', task, source);
    await openLink({ rpcUrl: chain.url, source, fromBlock });
    await shows(`${taskCard(task)}[data-status="NEW"]`);

    const fork = (await chain.provider.send('evm_snapshot', [])) as string;
    await chain.send('attempt', task, provider, parseEther('1.5'));
    await shows(`${taskCard(task)}[data-status="ATTEMPTED"]`);
    expect(await shows(`${taskCard(task)} table.attempts tr[data-provider="${provider}"]`)).toContain('1.5 OGPU');
    // The block of the attempt is replaced by two empty ones.
    expect(await chain.provider.send('evm_revert', [fork])).toBe(true);
    await chain.mine(2);

    await shows(`${taskCard(task)}[data-status="NEW"]`);
    expect(await page.$$(`${taskCard(task)} table.attempts tr`)).toHaveLength(0);
    expect(await page.textContent(taskCard(task))).toContain('No attempt yet.');
    const steps = await page.$$eval(`${taskCard(task)} ol.lifecycle li`, (items) =>
      items.map((li) => li.getAttribute('data-step')),
    );
    expect(steps).toEqual(['current', 'todo', 'todo', 'todo']);
    expect(await page.$$('article.task')).toHaveLength(1);
    const status = (await page.textContent('.status')) ?? '';
    expect(status).toMatch(/last change: (Attempted|TaskStatusChanged) in block \d+ \(taken back by a reorg\)/);
    expect(status).toMatch(/reorgs: [1-9]/);
  });

  it('rebuilds the board of past tasks from a shared link with fromBlock, and keeps tasks of other sources off it', async () => {
    const source = randomAddress();
    const [finished, stillOpen, elsewhere] = [randomAddress(), randomAddress(), randomAddress()];
    const { blockNumber: fromBlock } = await chain.send('publishTask', finished, source);
    await chain.send('attempt', finished, randomAddress(), parseEther('0.25'));
    await chain.send('submitResponse', finished, randomAddress());
    await chain.send('publishTask', elsewhere, randomAddress());
    await chain.send('publishTask', stillOpen, source);

    await openLink({ rpcUrl: chain.url, source, fromBlock });

    await shows(`${taskCard(finished)}[data-status="RESPONDED"]`);
    await shows(`${taskCard(stillOpen)}[data-status="NEW"]`);
    expect(await page.$$eval('article.task', (cards) => cards.map((card) => card.getAttribute('data-task')))).toEqual([
      stillOpen, // newest first
      finished,
    ]);
    expect(await page.textContent(taskCard(finished))).toContain('0.25 OGPU');
    expect(await page.inputValue('input[name="fromBlock"]')).toBe(String(fromBlock));
  });

  it("shows the library's typed error, naming the bad value, for an address that is not one", async () => {
    await page.goto(`${site.url}/`);
    await page.fill('input[name="rpc"]', chain.url);
    await page.fill('input[name="nexus"]', chain.nexusAddress);
    await page.fill('input[name="source"]', '0x1234-not-an-address');
    await page.click('button[name="watch"]');

    const failure = await shows('.status[data-phase="failed"] [role="alert"]');
    expect(failure).toMatch(/^INVALID_ADDRESS: /);
    expect(failure).toContain('0x1234-not-an-address');
  });

  it('reports a node without the Nexus contract as NEXUS_NOT_FOUND', async () => {
    await page.goto(`${site.url}/?pollInterval=${POLL_INTERVAL_MS}`);
    await page.fill('input[name="rpc"]', chain.url);
    await page.fill('input[name="nexus"]', randomAddress());
    await page.fill('input[name="source"]', randomAddress());
    await page.click('button[name="watch"]');

    expect(await shows('[role="alert"]')).toMatch(/^NEXUS_NOT_FOUND: /);
  });

  it('keeps the board complete and free of duplicates through a flaky, range-capped provider, and counts what it went through', async () => {
    allowFailedLoads = true;
    const proxy = await new FaultyRpcProxy(chain.url, {
      rate: 0.3,
      kinds: ['http-429', 'http-500', 'http-503', 'reset', 'slow', 'rpc-internal'],
      slowMs: 300,
      maxBlockRange: 3,
      seed: 11,
    }).start();
    try {
      const source = randomAddress();
      const [past, live] = [randomAddress(), randomAddress()];
      const [pastResponse, liveResponse] = [randomAddress(), randomAddress()];
      const { blockNumber: fromBlock } = await chain.send('publishTask', past, source);
      await chain.send('attempt', past, randomAddress(), parseEther('2'));
      await chain.send('submitResponse', past, pastResponse);
      await chain.mine(12); // a backfill wider than the proxy's 3-block cap
      await chain.send('confirmResponse', past, pastResponse);

      await openLink({ rpcUrl: proxy.url, source, fromBlock });
      await shows(`${taskCard(past)} tr[data-response="${pastResponse}"][data-status="CONFIRMED"]`);

      await chain.send('publishTask', live, source);
      await chain.send('attempt', live, randomAddress(), parseEther('3'));
      await chain.send('submitResponse', live, liveResponse);
      await chain.send('confirmResponse', live, liveResponse);
      await shows(`${taskCard(live)}[data-status="FINALIZED"]`);
      await shows(`${taskCard(live)} tr[data-response="${liveResponse}"][data-status="CONFIRMED"]`);

      for (const task of [past, live]) {
        expect(await page.$$(taskCard(task))).toHaveLength(1);
        expect(await page.$$(`${taskCard(task)} table.attempts tbody tr`)).toHaveLength(1);
        expect(await page.$$(`${taskCard(task)} table.responses tbody tr`)).toHaveLength(1);
      }
      const diagnostics = (await page.textContent('.diagnostics')) ?? '';
      const count = (label: string): number => Number(new RegExp(`${label}: (\\d+)`).exec(diagnostics)?.[1]);
      expect(count('RPC retries')).toBeGreaterThan(0);
      expect(count('range splits')).toBeGreaterThan(0);
      expect(count('reorgs')).toBe(0);
      expect(Object.values(proxy.faults()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(proxy.capRejections().range).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  });

  it('shows the dashboard demo (npm run dashboard:demo) filling up with tasks that end FINALIZED, EXPIRED and CANCELED', async () => {
    const demo = await startDashboardDemo({ buildDir, stepPauseMs: 20, pollInterval: POLL_INTERVAL_MS });
    try {
      await page.goto(demo.url);
      for (const status of ['FINALIZED', 'EXPIRED', 'CANCELED']) await shows(`article.task[data-status="${status}"]`);
      expect(await page.$$('table.providers tbody tr')).toHaveLength(2);
      expect(await page.textContent('.status')).toContain(demo.source);
    } finally {
      await page.goto('about:blank'); // leave the page before its node goes away
      await demo.stop();
    }
  });

  it('stops every request to the node on Stop', async () => {
    const rpcRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(chain.url)) rpcRequests.push(request.url());
    });
    await watchFromTheForm(randomAddress());
    await waitFor(() => rpcRequests.length >= 3, SHOWS_WITHIN_MS, 'the page polling the node');
    await page.click('button[name="stop"]');
    await shows('.status[data-phase="idle"]');

    const afterStop = rpcRequests.length;
    // Ten poll intervals: a client still running would have sent several requests by then.
    await page.waitForTimeout(10 * POLL_INTERVAL_MS);
    expect(afterStop).toBeGreaterThan(0);
    expect(rpcRequests.length).toBe(afterStop);
  });
});
