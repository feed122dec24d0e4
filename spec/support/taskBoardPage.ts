import { parseEther } from 'ethers';
import type { Page } from 'playwright-core';
import type { TestChain } from './testChain';

/** How long a change may take to show on the board. */
export const SHOWS_WITHIN_MS = 20_000;

/** The selector of a task's card on the board. */
export const taskCard = (task: string): string => `article.task[data-task="${task}"]`;

/** Waits until `selector` is on the page, and returns its text. */
export async function shows(page: Page, selector: string): Promise<string> {
  const element = await page.waitForSelector(selector, { timeout: SHOWS_WITHIN_MS });
  return (await element.textContent()) ?? '';
}

/** The addresses of one task's lifecycle. */
export interface Lifecycle {
  readonly source: string;
  readonly task: string;
  readonly provider: string;
  readonly response: string;
}

/**
 * Mines a task's lifecycle on `chain` (the provider registers with `source`, the task is
 * published, attempted for 1.5 OGPU, answered, and the response confirmed) and checks that
 * the board watching `source` shows each step as it is mined, ending with every step done.
 */
export async function mineLifecycleOnBoard(page: Page, chain: TestChain, ids: Lifecycle): Promise<void> {
  const { source, task, provider, response } = ids;
  await chain.send('register', provider, source, 2 /* NVIDIA */);
  expect(await shows(page, `table.providers tr[data-provider="${provider}"]`)).toContain('NVIDIA');

  await chain.send('publishTask', task, source);
  await shows(page, `${taskCard(task)}[data-status="NEW"]`);
  expect(await page.textContent(taskCard(task))).toContain('No attempt yet.');

  await chain.send('attempt', task, provider, parseEther('1.5'));
  await shows(page, `${taskCard(task)}[data-status="ATTEMPTED"]`);
  expect(await shows(page, `${taskCard(task)} table.attempts tr[data-provider="${provider}"]`)).toContain('1.5 OGPU');

  await chain.send('submitResponse', task, response);
  await shows(page, `${taskCard(task)}[data-status="RESPONDED"]`);
  await shows(page, `${taskCard(task)} tr[data-response="${response}"][data-status="SUBMITTED"]`);

  await chain.send('confirmResponse', task, response);
  await shows(page, `${taskCard(task)}[data-status="FINALIZED"]`);
  await shows(page, `${taskCard(task)} tr[data-response="${response}"][data-status="CONFIRMED"]`);

  const steps = await page.$$eval(`${taskCard(task)} ol.lifecycle li`, (items) =>
    items.map((li) => `${li.textContent}:${li.getAttribute('data-step')}`),
  );
  expect(steps).toEqual(['NEW:done', 'ATTEMPTED:done', 'RESPONDED:done', 'FINALIZED:done']);
}
