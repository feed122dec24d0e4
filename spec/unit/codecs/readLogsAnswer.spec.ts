import fc from 'fast-check';
import type { RpcLog } from 'ogpu-events';
import { isPrevalidated } from '../../../src/codecs/prevalidatedLogs';
import { readLogsAnswer } from '../../../src/codecs/readLogsAnswer';
import { validateRpcLogs } from '../../../src/source/validateRpcLogs';
import { NEXUS_ADDRESS } from '../helpers/logs';

/*
 * readLogsAnswer reads an eth_getLogs answer body straight from its bytes. Its contract:
 * whenever it returns logs, they are exactly what the ordinary path (TextDecoder,
 * JSON.parse, the JSON-RPC envelope, validateRpcLogs) makes of the same body, with nothing
 * to report; and on the usual answer of a node (well-formed logs of the Nexus, in order,
 * whatever the whitespace, key order, case of hex digits or extra plain fields) it does
 * return them, so the fast path is actually taken.
 */

const RUNS = 1_500;
const utf8 = new TextEncoder();

/** What the ordinary path makes of a body: the logs, with what it reported, or why it has none. */
type Ordinary = { readonly logs: RpcLog[]; readonly reported: number } | { readonly failed: string };

function ordinary(body: string, address = NEXUS_ADDRESS): Ordinary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { failed: 'not JSON' };
  }
  // As httpRpc reads the envelope.
  const answer = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
  if (typeof answer !== 'object' || answer === null || answer['error'] !== undefined || !('result' in answer))
    return { failed: 'not a result' };
  let reported = 0;
  try {
    const logs = validateRpcLogs(answer['result'], address, () => (reported += 1));
    return { logs, reported };
  } catch {
    return { failed: 'result is not a list' };
  }
}

/* ---------- generating bodies ---------- */

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** A JSON value written with `space` between its tokens and object keys in the given order. */
function write(value: Json, space: () => string): string {
  if (Array.isArray(value))
    return `[${space()}${value.map((v) => write(v, space)).join(`${space()},${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(
      ([k, v]) => `${JSON.stringify(k)}${space()}:${space()}${write(v, space)}`,
    );
    return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
  }
  return JSON.stringify(value);
}

const hexDigits = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/** Hex of a usual value, sometimes with upper-case digits (a node may send them; the library lowers them). */
const cased = (digits: fc.Arbitrary<string>) =>
  fc.tuple(digits, fc.nat(9)).map(([d, n]) => `0x${n === 0 ? d.toUpperCase() : d}`);

/** A few hashes, each with a twin that differs in its last digit only (a reused value must match to the end). */
const hashPool = fc
  .array(hexDigits(32), { minLength: 1, maxLength: 3 })
  .map((hashes) => [...hashes, ...hashes.map((h) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0'))]);

/** A log a node would send: the Nexus, well-formed, with the extra plain fields of real nodes. */
interface UsualLog {
  readonly fields: Record<string, Json>;
  readonly block: number;
  readonly index: number;
}

const usualLogs = fc
  .tuple(hashPool, hashPool, fc.array(fc.tuple(fc.nat(3), fc.nat(2), fc.nat(4)), { maxLength: 12 }))
  .chain(([blockHashes, txHashes, steps]) => {
    // Positions in chain order (equal ones allowed, as the ordinary path allows them).
    let block = 1;
    let index = 0;
    const positions = steps.map(([blockStep, indexStep]) => {
      if (blockStep > 0) {
        block += blockStep * 1000;
        index = indexStep;
      } else index += indexStep;
      return { block, index };
    });
    return fc.tuple(
      ...positions.map(({ block: b, index: i }) =>
        fc
          .record({
            address: cased(fc.constant(NEXUS_ADDRESS.slice(2))),
            topics: fc.array(cased(hexDigits(32)), { minLength: 0, maxLength: 3 }),
            // Topic0 from a small pool, so that equal values follow each other.
            topic0: fc.constantFrom(
              `0x${'70'.repeat(32)}`,
              `0x${'70'.repeat(31)}71`,
              `0x${'7a'.repeat(32)}`,
              `0x${'7A'.repeat(32)}`,
            ),
            data: fc.nat(4).chain((words) => cased(hexDigits(32 * words))),
            blockHash: fc.constantFrom(...blockHashes).chain((h) => cased(fc.constant(h))),
            transactionHash: fc.constantFrom(...txHashes).chain((h) => cased(fc.constant(h))),
            removed: fc.constantFrom<'absent' | 'false'>('absent', 'false'),
            extras: fc.subarray(['blockTimestamp', 'transactionIndex', 'id', 'flag', 'nothing', 'note']),
            upperQuantities: fc.boolean(),
          })
          .map(({ topic0, topics, removed, extras, upperQuantities, ...rest }): UsualLog => {
            const q = (n: number) => `0x${upperQuantities ? n.toString(16).toUpperCase() : n.toString(16)}`;
            const fields: Record<string, Json> = {
              ...rest,
              topics: [topic0, ...topics],
              blockNumber: q(b),
              logIndex: q(i),
            };
            if (removed === 'false') fields['removed'] = false;
            const extra: Record<string, Json> = {
              blockTimestamp: q(1_700_000_000 + b),
              transactionIndex: '0x0',
              id: 'log_8b3f1c2a',
              flag: true,
              nothing: null,
              note: -12.5e-3,
            };
            for (const key of extras) fields[key] = extra[key] as Json;
            return { fields, block: b, index: i };
          }),
      ),
    );
  });

/** Reorders an object's keys by a permutation drawn from `seed`. */
function shuffled(fields: Record<string, Json>, seed: number): Record<string, Json> {
  const entries = Object.entries(fields);
  let s = seed;
  for (let i = entries.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries);
}

const spaces = fc.array(fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  '), { minLength: 1, maxLength: 8 });

/** A usual answer body: envelope members in any order, logs with keys in any order, any whitespace. */
const usualBodies = fc.tuple(usualLogs, fc.nat(), spaces, fc.boolean()).map(([logs, seed, gaps, idFirst]) => {
  let n = 0;
  const space = () => gaps[n++ % gaps.length]!;
  const result = logs.map((log, i) => shuffled(log.fields, seed + i));
  const envelope: Record<string, Json> = idFirst
    ? { id: 7, jsonrpc: '2.0', result }
    : { jsonrpc: '2.0', result, id: 'req-7' };
  return `${space()}${write(envelope, space)}${space()}`;
});

/** Changes that take a body off the usual case, or break it: each must either be refused or read alike. */
const breakers: readonly ((body: string, at: number) => string)[] = [
  (body, at) => body.slice(0, at) + body.slice(at + 1), // a byte dropped
  (body, at) => body.slice(0, at) + 'g' + body.slice(at + 1), // a byte replaced
  (body, at) => body.slice(0, at) + '"' + body.slice(at), // a stray quote
  (body, at) => body.slice(0, at) + '0' + body.slice(at), // a digit added (odd length, leading zero, …)
  (body, at) => body.slice(0, at), // truncated
  (body) => `${body}x`, // trailing garbage
  (body) => body.replace('"0x', '"0X'),
  (body) => body.replace('"removed":false', '"removed":true'),
  (body) => body.replace(/"logIndex":\s*"0x[0-9a-fA-F]+"/, '"logIndex":7'), // a number where a quantity string was
  (body) => body.replace(/"blockNumber":\s*"0x[0-9a-fA-F]+"/, '"blockNumber":"0x20000000000000"'), // 14 digits
  (body) => body.replace(/"blockNumber":\s*"0x[0-9a-fA-F]+"/, '"blockNumber":"0x01"'), // leading zero
  (body) => body.replace(/"blockNumber":\s*"0x[0-9a-fA-F]+"/, '"blockNumber":"0x0"'), // out of order, maybe
  (body) => body.replace(/"logIndex":\s*"0x[0-9a-fA-F]+"/, '"logIndex":"0xfffff"'), // out of order within a block, maybe
  (body) => body.replace(/"address":\s*"0x[0-9a-fA-F]+"/, `"address":"0x${'11'.repeat(20)}"`), // a foreign log
  (body) => body.replace(/"data":/, '"data":"0x","data":'), // a duplicate key
  (body) => body.replace(/"id":/, '"note":"caf\\u00e9","id":'), // an escape in an extra field
  (body) => body.replace(/"id":/, '"note":"café","id":'), // non-ASCII in an extra field
  (body) => body.replace(/"id":/, '"nested":{"a":1},"id":'), // a nested value
  (body) => body.replace(/"id":/, '"error":{"code":-32000,"message":"boom"},"id":'),
  (body) => body.replace(/"id":/, '"result":[],"id":'), // two results: JSON.parse keeps the last
  (body) => `[${body}]`, // a batch
  (body) => body.replace(/"topics":\s*\[/, '"topics":["0x12",'), // a short topic
  (body) => body.replace(/"data":\s*"0x/, '"data":"0xabc'), // odd-length data
];

describe('readLogsAnswer', () => {
  it('reads the usual answer of a node, whatever its whitespace, key order and case, exactly as the ordinary path does', () => {
    fc.assert(
      fc.property(usualBodies, (body) => {
        const expected = ordinary(body);
        const logs = readLogsAnswer(utf8.encode(body), NEXUS_ADDRESS);

        expect(expected).toMatchObject({ reported: 0 });
        expect(logs).toStrictEqual((expected as { logs: RpcLog[] }).logs);
        expect(isPrevalidated(logs, NEXUS_ADDRESS)).toBe(true);
        // validateRpcLogs hands a checked list on as it is.
        expect(validateRpcLogs(logs, NEXUS_ADDRESS, () => undefined)).toBe(logs);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns nothing, or exactly what the ordinary path reads with nothing to report, on any body off the usual case', () => {
    fc.assert(
      fc.property(usualBodies, fc.nat(breakers.length - 1), fc.nat(), (body, which, position) => {
        const broken = breakers[which]!(body, position % (body.length + 1));
        const expected = ordinary(broken);
        const logs = readLogsAnswer(utf8.encode(broken), NEXUS_ADDRESS);

        if (logs !== undefined) {
          expect(expected).toMatchObject({ reported: 0 });
          expect(logs).toStrictEqual((expected as { logs: RpcLog[] }).logs);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it.each([
    [
      'an error answer',
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results"}}',
    ],
    ['a result that is not a list', '{"jsonrpc":"2.0","id":1,"result":null}'],
    ['no result', '{"jsonrpc":"2.0","id":1}'],
    ['an empty body', ''],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"result":[]}]'],
  ])('leaves %s to the ordinary path', (_, body) => {
    expect(readLogsAnswer(utf8.encode(body), NEXUS_ADDRESS)).toBeUndefined();
  });

  it('reads an empty result as no logs', () => {
    const logs = readLogsAnswer(utf8.encode('{"jsonrpc":"2.0","id":1,"result":[]}'), NEXUS_ADDRESS);
    expect(logs).toEqual([]);
    expect(isPrevalidated(logs, NEXUS_ADDRESS)).toBe(true);
  });

  it('marks a list as checked for the address it was read for only', () => {
    const logs = readLogsAnswer(utf8.encode('{"jsonrpc":"2.0","id":1,"result":[]}'), NEXUS_ADDRESS);
    expect(isPrevalidated(logs, `0x${'11'.repeat(20)}`)).toBe(false);
    expect(isPrevalidated([], NEXUS_ADDRESS)).toBe(false);
  });

  it('reads a body that is a view into a larger buffer from its own bytes only', () => {
    const body = '{"jsonrpc":"2.0","id":1,"result":[]}';
    const padded = utf8.encode(`xxxx${body}yyyy`);
    expect(readLogsAnswer(padded.subarray(4, 4 + body.length), NEXUS_ADDRESS)).toEqual([]);
  });

  it('makes the same logs where the platform has no Node Buffer (browsers)', () => {
    fc.assert(
      fc.property(usualBodies, (body) => {
        const bytes = utf8.encode(body);
        expect(withoutNodeBuffer(bytes)).toStrictEqual(readLogsAnswer(bytes, NEXUS_ADDRESS));
      }),
      { numRuns: 200 },
    );
  });

  it('reads a log with a very long data field, with or without a Node Buffer', () => {
    const data = `0x${'ab'.repeat(300_000)}`;
    const body = `{"jsonrpc":"2.0","id":1,"result":[{"address":"${NEXUS_ADDRESS}","topics":["0x${'70'.repeat(32)}"],"data":"${data}","blockNumber":"0x1","blockHash":"0x${'11'.repeat(32)}","transactionHash":"0x${'22'.repeat(32)}","logIndex":"0x0"}]}`;
    const bytes = utf8.encode(body);
    expect(readLogsAnswer(bytes, NEXUS_ADDRESS)?.[0]?.data).toBe(data);
    expect(withoutNodeBuffer(bytes)?.[0]?.data).toBe(data);
  });
});

let browserRead: typeof readLogsAnswer | undefined;

/** readLogsAnswer of a copy of the module loaded while the global Buffer was hidden. */
function withoutNodeBuffer(bytes: Uint8Array): RpcLog[] | undefined {
  if (browserRead === undefined) browserRead = loadWithoutNodeBuffer();
  return browserRead(bytes, NEXUS_ADDRESS);
}

function loadWithoutNodeBuffer(): typeof readLogsAnswer {
  let read: typeof readLogsAnswer | undefined;
  const saved = globalThis.Buffer;
  jest.isolateModules(() => {
    (globalThis as { Buffer?: unknown }).Buffer = undefined;
    try {
      read = (jest.requireActual('../../../src/codecs/readLogsAnswer') as { readLogsAnswer: typeof readLogsAnswer })
        .readLogsAnswer;
    } finally {
      globalThis.Buffer = saved;
    }
  });
  return read!;
}
