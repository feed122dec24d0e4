/**
 * The dashboard page: a connection form and a live task board.
 *
 * Everything the page does is one RxJS pipeline. Each "Watch" (or a link with the
 * settings in its query) switches to a new {@link dashboardView$}; "Stop" switches to the
 * idle view. `switchMap` unsubscribes from the previous board, which stops its client's
 * polling (or, in relay mode, closes its NATS connection): the page has no timers of its own.
 */
import { type Observable, EMPTY, fromEvent, map, merge, of, startWith, switchMap, tap } from 'rxjs';
import {
  type ConnectionSettings,
  fillFromQuery,
  isComplete,
  readSettings,
  selectNetwork,
  showMode,
  toQuery,
} from './connectionSettings';
import { type DashboardView, IDLE, dashboardView$ } from './dashboardView';
import { renderDashboard } from './renderDashboard';

function required<T extends Element>(selector: string, type: new () => T): T {
  const element = document.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`the page has no ${selector}`);
  return element;
}

const form = required('#connect', HTMLFormElement);
const root = required('#app', HTMLElement);
const networkSelect = required('#connect select[name="network"]', HTMLSelectElement);
const stopButton = required('#connect button[name="stop"]', HTMLButtonElement);
const natsInput = required('#connect input[name="nats"]', HTMLInputElement);

const query = new URLSearchParams(location.search);
fillFromQuery(form, query);

networkSelect.addEventListener('change', () => {
  const network = networkSelect.value;
  if (network === 'mainnet' || network === 'testnet') selectNetwork(form, network);
});
natsInput.addEventListener('input', () => showMode(form));

/** `ConnectionSettings` to watch, or `null` to stop. */
const commands$: Observable<ConnectionSettings | null> = merge(
  isComplete(query) ? of(readSettings(form, query)) : EMPTY,
  fromEvent(form, 'submit').pipe(
    tap((event) => event.preventDefault()),
    map(() => readSettings(form, query)),
  ),
  fromEvent(stopButton, 'click').pipe(map(() => null)),
);

commands$
  .pipe(
    tap((settings) => {
      if (settings !== null) history.replaceState(null, '', toQuery(settings));
    }),
    switchMap((settings): Observable<DashboardView> => (settings === null ? of(IDLE) : dashboardView$(settings))),
    startWith(IDLE),
  )
  .subscribe((view) => renderDashboard(root, view));
