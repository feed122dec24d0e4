import { formatEther } from 'ethers';
import { type EnvironmentMask, enumKey, environmentNames, ResponseStatus, TaskStatus } from 'ogpu-events';
import { type ProviderRow, type ResponseRow, type TaskBoard, type TaskRow, describeChange } from '../../taskBoard';
import type { ConnectionSettings } from './connectionSettings';
import type { DashboardView, DiagnosticsSummary } from './dashboardView';
import { el } from './dom';

/** The happy path of a task, drawn as steps; CANCELED and EXPIRED end it early. */
const LIFECYCLE = [TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED, TaskStatus.FINALIZED] as const;

const taskStatusName = (status: TaskStatus | undefined): string =>
  status === undefined ? 'UNKNOWN' : (enumKey(TaskStatus, status) ?? `STATUS ${status}`);

const responseStatusName = (status: ResponseStatus | undefined): string =>
  status === undefined ? 'UNKNOWN' : (enumKey(ResponseStatus, status) ?? `STATUS ${status}`);

function environments(mask: EnvironmentMask): string {
  const names = environmentNames(mask);
  return names.length === 0 ? 'none' : names.join(' + ');
}

const address = (value: string): HTMLElement => el('span', { class: 'address', title: value }, value);

function lifecycle(status: TaskStatus | undefined): HTMLElement {
  const reached = status === undefined ? -1 : LIFECYCLE.indexOf(status as (typeof LIFECYCLE)[number]);
  const ended = status === TaskStatus.CANCELED || status === TaskStatus.EXPIRED;
  return el(
    'ol',
    { class: 'lifecycle', 'aria-label': 'lifecycle', ...(ended ? { 'data-ended': taskStatusName(status) } : {}) },
    ...LIFECYCLE.map((step, i) =>
      el(
        'li',
        {
          'data-step':
            i < reached ? 'done' : i === reached ? (step === TaskStatus.FINALIZED ? 'done' : 'current') : 'todo',
        },
        taskStatusName(step),
      ),
    ),
  );
}

function responsesTable(responses: readonly ResponseRow[]): HTMLElement {
  if (responses.length === 0) return el('p', { class: 'empty' }, 'No response yet.');
  return el(
    'table',
    { class: 'responses' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Response'), el('th', {}, 'Status'))),
    el(
      'tbody',
      {},
      ...responses.map((row) =>
        el(
          'tr',
          { 'data-response': row.response, 'data-status': responseStatusName(row.status) },
          el('td', {}, address(row.response)),
          el(
            'td',
            {},
            el(
              'span',
              { class: 'badge', 'data-status': responseStatusName(row.status) },
              responseStatusName(row.status),
            ),
          ),
        ),
      ),
    ),
  );
}

function taskCard(row: TaskRow): HTMLElement {
  const status = taskStatusName(row.status);
  return el(
    'article',
    { class: 'task', 'data-task': row.task, 'data-status': status },
    el(
      'div',
      { class: 'task-head' },
      el('h3', {}, 'Task ', address(row.task)),
      el('span', { class: 'badge', 'data-status': status }, status),
    ),
    lifecycle(row.status),
    el('p', { class: 'meta' }, `Published in block ${row.publishedIn}`),
    row.attempts.length === 0
      ? el('p', { class: 'empty' }, 'No attempt yet.')
      : el(
          'table',
          { class: 'attempts' },
          el(
            'thead',
            {},
            el('tr', {}, el('th', {}, 'Attempt by'), el('th', {}, 'Suggested payment'), el('th', {}, 'Block')),
          ),
          el(
            'tbody',
            {},
            ...row.attempts.map((attempt) =>
              el(
                'tr',
                { 'data-provider': attempt.provider },
                el('td', {}, address(attempt.provider)),
                el('td', { class: 'payment' }, `${formatEther(attempt.suggestedPayment)} OGPU`),
                el('td', {}, attempt.at.blockNumber),
              ),
            ),
          ),
        ),
    responsesTable(row.responses),
  );
}

/**
 * Task rows are immutable and `applyEvent` keeps a row's identity when an event does not
 * touch it, so a card is built once per version of its row: on a board of many tasks an
 * event redraws one card, not all of them.
 */
const cards = new WeakMap<TaskRow, HTMLElement>();

function cardOf(row: TaskRow): HTMLElement {
  let card = cards.get(row);
  if (card === undefined) {
    card = taskCard(row);
    cards.set(row, card);
  }
  return card;
}

function providersTable(providers: readonly ProviderRow[]): HTMLElement {
  if (providers.length === 0) return el('p', { class: 'empty' }, 'No provider registered yet.');
  return el(
    'table',
    { class: 'providers' },
    el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'Provider'), el('th', {}, 'Prefers'))),
    el(
      'tbody',
      {},
      ...providers.map((p) =>
        el(
          'tr',
          { 'data-provider': p.provider },
          el('td', {}, p.registrantId),
          el('td', {}, address(p.provider)),
          el('td', {}, environments(p.preferredEnvironment)),
        ),
      ),
    ),
  );
}

/**
 * The client's diagnostics in a line: the RPC's (retries, range splits, reorgs, lagging
 * nodes, skipped logs), or in relay mode the broker's (waits for the stream, skipped messages).
 */
function diagnosticsLine(summary: DiagnosticsSummary, relay: boolean): HTMLElement {
  const { counts } = summary;
  const skipped = counts['invalid-log'] + counts['undecodable-log'];
  return el(
    'div',
    { class: 'diagnostics' },
    relay
      ? `broker waits: ${counts['broker-wait']} · skipped messages: ${counts['invalid-message']}`
      : `RPC retries: ${counts['rpc-retry']} · range splits: ${counts['range-split']} · reorgs: ${counts.reorg} · lagging nodes: ${counts['lagging-node']} · skipped logs: ${skipped}`,
    summary.latest === undefined ? null : el('div', { class: 'latest-diagnostic' }, `Latest: ${summary.latest}`),
  );
}

/** In relay mode, says so (never with the server's URL: it may hold a password). */
function throughRelay(settings: ConnectionSettings): string {
  if (settings.nats === undefined) return '';
  return settings.stream === undefined ? ' through a relay' : ` through a relay (stream ${settings.stream})`;
}

function summaryLine(board: TaskBoard): string {
  const last = board.lastEvent;
  return (
    `${board.tasks.length} task(s), ${board.providers.length} provider(s)` +
    (last === undefined ? ' · waiting for events' : ` · last change: ${describeChange(last)}`)
  );
}

/** Replaces the content of `root` with `view`. */
export function renderDashboard(root: HTMLElement, view: DashboardView): void {
  if (view.phase === 'idle') {
    root.replaceChildren(
      el(
        'section',
        { class: 'status', 'data-phase': 'idle' },
        "Enter a JSON-RPC URL and the Nexus address, or a relay's NATS WebSocket URL, and a source, then Watch.",
      ),
    );
    return;
  }
  const { board, failure, settings } = view;
  root.replaceChildren(
    el(
      'section',
      { class: 'status', 'data-phase': view.phase, 'aria-live': 'polite' },
      el(
        'div',
        {},
        el('strong', {}, view.phase === 'watching' ? 'Watching' : 'Stopped'),
        ' source ',
        address(board.source),
        `${throughRelay(settings)} · ${summaryLine(board)}`,
      ),
      diagnosticsLine(view.diagnostics, settings.nats !== undefined),
      failure === undefined
        ? null
        : el(
            'div',
            { class: 'failure', role: 'alert', 'data-code': failure.code },
            `${failure.code}: ${failure.message}`,
          ),
    ),
    el('h2', {}, 'Providers'),
    providersTable(board.providers),
    el('h2', {}, 'Tasks'),
    board.tasks.length === 0
      ? el('p', { class: 'empty' }, 'No task published yet.')
      : el('div', { class: 'tasks' }, ...[...board.tasks].reverse().map(cardOf)),
  );
}
