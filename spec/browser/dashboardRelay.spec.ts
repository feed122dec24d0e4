/**
 * The browser dashboard (examples/dashboard) in relay mode: built with Vite as a user would
 * build it, served from loopback and driven in headless Chromium. A relay in the test
 * process publishes anvil's Nexus events into nats-server's JetStream; the page reads them
 * over NATS WebSocket as the README's read-only `reader` user, and never contacts the chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther } from 'ethers';
import type { Browser, Page, WebSocket } from 'playwright-core';
import type { Subscription } from 'rxjs';
import { relayToJetStream } from 'ogpu-events/jetstream';
import { type RelaySettings, toQuery } from '../../examples/dashboard/src/connectionSettings';
import { buildDashboard } from '../../scripts/dashboardDemo';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../support/chromium';
import { natsRoles } from '../support/natsRoles';
import { type NatsServer, describeWithNats, startNatsServer } from '../support/natsServer';
import { type StaticServer, serveStatic } from '../support/staticServer';
import { waitFor } from '../support/streams';
import { SHOWS_WITHIN_MS, mineLifecycleOnBoard, shows as showsOn, taskCard } from '../support/taskBoardPage';
import { type TestChain, randomAddress, startTestChain } from '../support/testChain';

const STREAM = 'OGPU_NEXUS';
/** Anvil's chain id: the server's users are scoped to its subjects. */
const CHAIN_ID = 31337;
const PASSWORDS = { relay: 'relay-secret', reader: 'reader-public' } as const;
/** Upper bound for anything the page has to show; generous, the machine is shared. */
/**
 * What Chromium logs when the NATS client closes its WebSocket (on Stop): nats-server before
 * 2.10.24 (Debian's is 2.9) answers a close frame without status with the reserved status
 * 1005 (nats-io/nats-server#6259). The server's doing, after the page is done with it.
 */
const SERVER_CLOSE_FRAME_BUG =
  /^WebSocket connection to '[^']+' failed: Received a broken close frame containing a reserved status code\.$/;

// Without Chromium the suite is reported as skipped, except in CI, where it must run;
// describeWithNats does the same for nats-server.
const inBrowser = hasChromium() || process.env['CI'] ? describeWithNats : describe.skip;
if (!hasChromium()) {
  console.warn(`dashboard relay e2e: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

inBrowser('the browser dashboard in relay mode (NATS WebSocket)', () => {
  let chain: TestChain;
  let nats: NatsServer;
  let relay: Subscription;
  let relayFailure: unknown;
  let site: StaticServer;
  let browser: Browser;
  let buildDir: string;
  let page: Page;
  /** Uncaught exceptions and console errors of the current page. */
  let pageErrors: string[];
  /** Every request the page sent to the chain's JSON-RPC URL. */
  let chainRequests: string[];
  /** The page's WebSockets. */
  let sockets: WebSocket[];

  /** The server's WebSocket URL with a user's credentials in it. */
  const wsAs = (user: keyof typeof PASSWORDS, password: string = PASSWORDS[user]): string =>
    nats.wsUrl!.replace('ws://', `ws://${user}:${password}@`);

  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'ogpu-dashboard-relay-'));
    [chain, nats] = await Promise.all([
      startTestChain(),
      startNatsServer({ websocket: true, users: natsRoles(STREAM, CHAIN_ID, PASSWORDS) }),
      buildDashboard(buildDir),
    ]);
    // Pinned start, before any transaction of the tests: never "new blocks only".
    const fromBlock = (await chain.head()) + 1;
    relay = relayToJetStream({
      rpcUrl: chain.url,
      address: chain.nexusAddress,
      servers: nats.url.replace('nats://', `nats://relay:${PASSWORDS.relay}@`),
      stream: STREAM,
      pollInterval: 50,
      fromBlock,
    }).subscribe({ error: (error: unknown) => (relayFailure = error) });
    site = await serveStatic(buildDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    relay?.unsubscribe();
    await browser?.close();
    await site?.close();
    await Promise.all([chain?.stop(), nats?.stop()]);
    if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    [pageErrors, chainRequests, sockets] = [[], [], []];
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !SERVER_CLOSE_FRAME_BUG.test(message.text())) pageErrors.push(message.text());
    });
    page.on('request', (request) => {
      if (request.url().startsWith(chain.url)) chainRequests.push(request.url());
    });
    page.on('websocket', (socket) => sockets.push(socket));
  });

  afterEach(async () => {
    await page.close();
    expect(pageErrors).toEqual([]);
    expect(chainRequests).toEqual([]);
    expect(relayFailure).toBeUndefined();
  });

  /** Waits until `selector` is on the page, and returns its text. */
  const shows = (selector: string): Promise<string> => showsOn(page, selector);

  /** The page opened from a shared link in relay mode, reading from `fromBlock`. */
  async function openLink(settings: Omit<RelaySettings, 'stream'>): Promise<void> {
    await page.goto(`${site.url}/${toQuery({ ...settings, stream: STREAM })}`);
  }

  it('shows a task move NEW → ATTEMPTED → RESPONDED → FINALIZED through the relay, as the read-only user, without reaching the chain', async () => {
    const [source, task, provider, response] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];
    // The board reads from a block below every transaction of this test: replay, then live.
    const fromBlock = (await chain.head()) + 1;
    await openLink({ nats: wsAs('reader'), source, fromBlock });
    expect(await shows('.status[data-phase="watching"]')).toContain(`through a relay (stream ${STREAM})`);
    expect(await page.isDisabled('input[name="rpc"]')).toBe(true);
    await waitFor(
      () => sockets.some((socket) => socket.url().startsWith(nats.wsUrl!)),
      SHOWS_WITHIN_MS,
      'the page connecting to the NATS WebSocket',
    );

    await mineLifecycleOnBoard(page, chain, { source, task, provider, response });
    expect(await page.$$('article.task')).toHaveLength(1);
    expect(await page.$$(`${taskCard(task)} table.attempts tbody tr`)).toHaveLength(1);
    expect(await page.$$(`${taskCard(task)} table.responses tbody tr`)).toHaveLength(1);
    const status = (await page.textContent('.status')) ?? '';
    expect(status).toMatch(/1 task\(s\), 1 provider\(s\) · last change: \w+ in block \d+/);
    expect(status).toContain('skipped messages: 0');
    expect(status).not.toContain(PASSWORDS.reader); // the status line never shows the URL

    // Stop closes the page's NATS connection.
    await page.click('button[name="stop"]');
    await shows('.status[data-phase="idle"]');
    await waitFor(() => sockets.every((socket) => socket.isClosed()), SHOWS_WITHIN_MS, 'the NATS WebSocket closing');
  });

  it('watches from the form: a NATS URL disables the chain fields, and past tasks replay from fromBlock', async () => {
    const source = randomAddress();
    const [past, live] = [randomAddress(), randomAddress()];
    const { blockNumber: fromBlock } = await chain.send('publishTask', past, source);
    await chain.send('attempt', past, randomAddress(), parseEther('0.25'));
    await chain.send('publishTask', randomAddress(), randomAddress()); // another source's task

    await page.goto(`${site.url}/`);
    await page.fill('input[name="nats"]', wsAs('reader'));
    expect(await page.isDisabled('input[name="rpc"]')).toBe(true);
    expect(await page.isDisabled('input[name="nexus"]')).toBe(true);
    await page.fill('input[name="source"]', source);
    await page.fill('input[name="fromBlock"]', String(fromBlock));
    await page.click('button[name="watch"]');

    await shows(`${taskCard(past)}[data-status="ATTEMPTED"]`);
    expect(await page.textContent(taskCard(past))).toContain('0.25 OGPU');
    const link = new URL(page.url()).searchParams; // a link that reopens this board
    expect([link.get('nats'), link.get('source'), link.get('fromBlock'), link.get('rpc')]).toEqual([
      wsAs('reader'),
      source,
      String(fromBlock),
      null,
    ]);

    await chain.send('publishTask', live, source);
    await shows(`${taskCard(live)}[data-status="NEW"]`);
    expect(await page.$$eval('article.task', (cards) => cards.map((card) => card.getAttribute('data-task')))).toEqual([
      live, // newest first
      past,
    ]);
  });

  it('shows BROKER_AUTHENTICATION_FAILED for a wrong password, not a board that waits forever', async () => {
    await openLink({ nats: wsAs('reader', 'wrong-password'), source: randomAddress(), fromBlock: undefined });
    expect(await shows('.status[data-phase="failed"] [role="alert"]')).toMatch(/^BROKER_AUTHENTICATION_FAILED: /);
  });
});
