import { NETWORKS, type NetworkName } from 'ogpu-events';

/** What the page watches, as the user typed it; the library validates it on connect. */
export type ConnectionSettings = RpcSettings | RelaySettings;

/** What both modes watch: one source, from a block or from now on. */
interface WatchedSource {
  readonly source: string;
  /** Build the board from this block on; `undefined`: from now on. */
  readonly fromBlock: number | undefined;
}

/** The page polls the chain itself, through its JSON-RPC endpoint. */
export interface RpcSettings extends WatchedSource {
  /** Absent: not the relay mode. */
  readonly nats?: undefined;
  readonly rpcUrl: string;
  readonly nexus: string;
  /** Milliseconds between polls; `undefined`: the dashboard's default. Set only by the query. */
  readonly pollInterval?: number | undefined;
}

/**
 * Relay mode: the page reads a relay's JetStream stream over NATS WebSocket and never
 * contacts the chain (the stream names the chain and the Nexus).
 */
export interface RelaySettings extends WatchedSource {
  /** The NATS WebSocket server (`ws://` or `wss://`), credentials in the URL if any. */
  readonly nats: string;
  /** The relay's JetStream stream; `undefined`: the library's default, `OGPU_NEXUS`. */
  readonly stream: string | undefined;
}

/** The form's field names, which are also the page's query parameters. */
const FIELDS = ['rpc', 'nexus', 'nats', 'stream', 'source', 'fromBlock'] as const;
type Field = (typeof FIELDS)[number];

/** The fields only the RPC mode uses. */
const RPC_FIELDS = ['network', 'rpc', 'nexus'] as const;

function field(form: HTMLFormElement, name: Field | 'network'): HTMLInputElement | HTMLSelectElement {
  const element = form.elements.namedItem(name);
  if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement)) {
    throw new Error(`the connection form has no field "${name}"`);
  }
  return element;
}

/**
 * The settings in the form. A NATS server selects the relay mode; without one the page
 * reads the chain. An empty "from block" means "from now on"; anything else is passed on
 * as a number, so a bad value reaches the library and comes back as its typed error
 * naming the value. `pollInterval` comes from the page's query only (`?pollInterval=200`).
 */
export function readSettings(form: HTMLFormElement, query: URLSearchParams): ConnectionSettings {
  const text = (name: Field): string => field(form, name).value.trim();
  const fromBlockText = text('fromBlock');
  const watched: WatchedSource = {
    source: text('source'),
    fromBlock: fromBlockText === '' ? undefined : Number(fromBlockText),
  };
  const [nats, stream] = [text('nats'), text('stream')];
  if (nats !== '') return { ...watched, nats, stream: stream === '' ? undefined : stream };
  const pollInterval = query.get('pollInterval');
  return {
    ...watched,
    rpcUrl: text('rpc'),
    nexus: text('nexus'),
    pollInterval: pollInterval === null ? undefined : Number(pollInterval),
  };
}

/**
 * Fills the form from query parameters (`?rpc=…&nexus=…&source=…&fromBlock=…&network=…`,
 * or `?nats=ws://…&stream=…&source=…&fromBlock=…` for the relay mode).
 */
export function fillFromQuery(form: HTMLFormElement, query: URLSearchParams): void {
  const network = query.get('network');
  if (network === 'mainnet' || network === 'testnet') selectNetwork(form, network);
  for (const name of FIELDS) {
    const value = query.get(name);
    if (value !== null) field(form, name).value = value;
  }
  showMode(form);
}

/**
 * The query string that reopens the page on `settings`. In relay mode the NATS URL goes in
 * as given, credentials included: give browsers a read-only user (see the README).
 */
export function toQuery(settings: ConnectionSettings): string {
  const entries: readonly (readonly [Field | 'pollInterval', string | number | undefined])[] =
    settings.nats === undefined
      ? [
          ['rpc', settings.rpcUrl],
          ['nexus', settings.nexus],
          ['source', settings.source],
          ['fromBlock', settings.fromBlock],
          ['pollInterval', settings.pollInterval],
        ]
      : [
          ['nats', settings.nats],
          ['stream', settings.stream],
          ['source', settings.source],
          ['fromBlock', settings.fromBlock],
        ];
  const query = new URLSearchParams();
  for (const [name, value] of entries) if (value !== undefined) query.set(name, String(value));
  return `?${query.toString()}`;
}

/** Shows `network` in the selector and fills in its public RPC URL and Nexus address. */
export function selectNetwork(form: HTMLFormElement, network: NetworkName): void {
  field(form, 'network').value = network;
  field(form, 'rpc').value = NETWORKS[network].rpcUrl;
  field(form, 'nexus').value = NETWORKS[network].nexusAddress;
}

/**
 * Disables the chain's fields (network, JSON-RPC URL, Nexus address) while a NATS server is
 * filled in: the relay mode does not use them, and the form submits without them.
 */
export function showMode(form: HTMLFormElement): void {
  const relay = field(form, 'nats').value.trim() !== '';
  for (const name of RPC_FIELDS) field(form, name).disabled = relay;
}

/** Whether the query names everything needed to start watching at once. */
export function isComplete(query: URLSearchParams): boolean {
  const has = (name: string): boolean => (query.get(name) ?? '') !== '';
  const network = query.get('network');
  return (
    has('source') && (has('nats') || network === 'mainnet' || network === 'testnet' || (has('rpc') && has('nexus')))
  );
}
