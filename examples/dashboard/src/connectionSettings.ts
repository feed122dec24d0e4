import { NETWORKS, type NetworkName } from 'ogpu-events';

/** What the page watches, as the user typed it; the library validates it on connect. */
export interface ConnectionSettings {
  readonly rpcUrl: string;
  readonly nexus: string;
  readonly source: string;
  /** Build the board from this block on; `undefined`: from now on. */
  readonly fromBlock: number | undefined;
  /** Milliseconds between polls; `undefined`: the dashboard's default. Set only by the query. */
  readonly pollInterval?: number | undefined;
}

/** The form's field names, which are also the page's query parameters. */
const FIELDS = ['rpc', 'nexus', 'source', 'fromBlock'] as const;
type Field = (typeof FIELDS)[number];

function field(form: HTMLFormElement, name: Field | 'network'): HTMLInputElement | HTMLSelectElement {
  const element = form.elements.namedItem(name);
  if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement)) {
    throw new Error(`the connection form has no field "${name}"`);
  }
  return element;
}

/**
 * The settings in the form. An empty "from block" means "from now on"; anything else is
 * passed on as a number, so a bad value reaches the library and comes back as its typed
 * error naming the value. `pollInterval` comes from the page's query only (`?pollInterval=200`).
 */
export function readSettings(form: HTMLFormElement, query: URLSearchParams): ConnectionSettings {
  const text = (name: Field): string => field(form, name).value.trim();
  const fromBlock = text('fromBlock');
  const pollInterval = query.get('pollInterval');
  return {
    rpcUrl: text('rpc'),
    nexus: text('nexus'),
    source: text('source'),
    fromBlock: fromBlock === '' ? undefined : Number(fromBlock),
    pollInterval: pollInterval === null ? undefined : Number(pollInterval),
  };
}

/** Fills the form from query parameters (`?rpc=…&nexus=…&source=…&fromBlock=…&network=…`). */
export function fillFromQuery(form: HTMLFormElement, query: URLSearchParams): void {
  const network = query.get('network');
  if (network === 'mainnet' || network === 'testnet') selectNetwork(form, network);
  for (const name of FIELDS) {
    const value = query.get(name);
    if (value !== null) field(form, name).value = value;
  }
}

/** The query string that reopens the page on `settings`. */
export function toQuery(settings: ConnectionSettings): string {
  const query = new URLSearchParams({ rpc: settings.rpcUrl, nexus: settings.nexus, source: settings.source });
  if (settings.fromBlock !== undefined) query.set('fromBlock', String(settings.fromBlock));
  if (settings.pollInterval !== undefined) query.set('pollInterval', String(settings.pollInterval));
  return `?${query.toString()}`;
}

/** Shows `network` in the selector and fills in its public RPC URL and Nexus address. */
export function selectNetwork(form: HTMLFormElement, network: NetworkName): void {
  field(form, 'network').value = network;
  field(form, 'rpc').value = NETWORKS[network].rpcUrl;
  field(form, 'nexus').value = NETWORKS[network].nexusAddress;
}

/** Whether the query names everything needed to start watching at once. */
export function isComplete(query: URLSearchParams): boolean {
  const has = (name: string): boolean => (query.get(name) ?? '') !== '';
  const network = query.get('network');
  return has('source') && (network === 'mainnet' || network === 'testnet' || (has('rpc') && has('nexus')));
}
