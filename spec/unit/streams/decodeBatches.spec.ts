import { Subject, from, take } from 'rxjs';
import type { RpcLog } from '../../../src/codecs/RpcLog';
import { decodeBatches } from '../../../src/streams/decodeBatches';
import { rpcLog } from '../helpers/logs';

/** A stand-in decoder: the log's position, or undefined for a log whose data word is 0xbad. */
const decode = (log: RpcLog): string | undefined =>
  log.data.endsWith('bad') ? undefined : `${log.blockNumber}:${log.logIndex}`;

const batch = (...logs: RpcLog[]): { logs: RpcLog[] } => ({ logs });

describe('decodeBatches(windowBlocks, decode)', () => {
  it('emits the decoded event of every log of every batch, in order', () => {
    const out: string[] = [];
    from([batch(rpcLog({ block: 1, index: 0 }), rpcLog({ block: 1, index: 1 })), batch(rpcLog({ block: 3, index: 0 }))])
      .pipe(decodeBatches(256, decode))
      .subscribe((event) => out.push(event));
    expect(out).toEqual(['1:0', '1:1', '3:0']);
  });

  it('drops a log already delivered by (transactionHash, logIndex), in the same batch or a later one', () => {
    const a = rpcLog({ block: 1, index: 0 });
    const b = rpcLog({ block: 2, index: 4 });
    const out: string[] = [];
    from([batch(a, b, { ...a }), batch({ ...b }, rpcLog({ block: 2, index: 5 }))])
      .pipe(decodeBatches(256, decode))
      .subscribe((event) => out.push(event));
    expect(out).toEqual(['1:0', '2:4', '2:5']);
  });

  it('skips a log that does not decode and goes on with the rest of the batch and the stream', () => {
    const bad = rpcLog({ block: 1, index: 1, data: `0x${'0'.repeat(61)}bad` });
    const out: string[] = [];
    let completed = false;
    from([
      batch(rpcLog({ block: 1, index: 0 }), bad, rpcLog({ block: 1, index: 2 })),
      batch(rpcLog({ block: 2, index: 0 })),
    ])
      .pipe(decodeBatches(256, decode))
      .subscribe({ next: (event) => out.push(event), complete: () => (completed = true) });
    expect(out).toEqual(['1:0', '1:2', '2:0']);
    expect(completed).toBe(true);
  });

  it('stops decoding in the middle of a batch when the subscriber leaves (take)', () => {
    const decoded: string[] = [];
    const counting = (log: RpcLog): string | undefined => {
      const event = decode(log);
      if (event !== undefined) decoded.push(event);
      return event;
    };
    const logs = Array.from({ length: 10 }, (_, i) => rpcLog({ block: 1, index: i }));
    const out: string[] = [];
    from([batch(...logs)])
      .pipe(decodeBatches(256, counting), take(3))
      .subscribe((event) => out.push(event));
    expect(out).toEqual(['1:0', '1:1', '1:2']);
    expect(decoded).toHaveLength(3);
  });

  it('passes errors and completion of the batches through', () => {
    const batches = new Subject<{ logs: RpcLog[] }>();
    const seen: unknown[] = [];
    batches.pipe(decodeBatches(256, decode)).subscribe({ next: (e) => seen.push(e), error: (e) => seen.push(e) });
    batches.next(batch(rpcLog({ block: 1, index: 0 })));
    const failure = new Error('read failed');
    batches.error(failure);
    expect(seen).toEqual(['1:0', failure]);
  });

  it('remembers each subscription on its own: a second subscriber gets the logs again', () => {
    const source = from([batch(rpcLog({ block: 1, index: 0 }))]).pipe(decodeBatches(256, decode));
    const first: string[] = [];
    const second: string[] = [];
    source.subscribe((e) => first.push(e));
    source.subscribe((e) => second.push(e));
    expect(first).toEqual(['1:0']);
    expect(second).toEqual(['1:0']);
  });
});
