import fc from 'fast-check';
import { NEXUS_EVENT_TOPICS } from 'ogpu-events';
import { NEXUS_TOPIC0S } from '../../../src/nexus/nexusEventTopics';
import { NexusBloom } from '../../../src/source/NexusBloom';
import { NEXUS_ADDRESS } from '../helpers/logs';
import { logsBloomOf } from '../helpers/memoryChain';

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString('hex')}`);

describe('NexusBloom: what a block header’s logsBloom says about the Nexus logs in it', () => {
  const bloom = new NexusBloom(NEXUS_ADDRESS, NEXUS_TOPIC0S);

  it('never rules out a block that holds a Nexus log of a watched event, whatever else it holds (no false negatives; property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NEXUS_TOPIC0S),
        fc.array(fc.oneof(hex(20), hex(32)), { maxLength: 30 }),
        (topic, others) => {
          expect(bloom.mayHoldLogs(logsBloomOf([...others, NEXUS_ADDRESS, topic]))).toBe(true);
        },
      ),
    );
  });

  it('rules out an empty block, and a block whose logs are of other contracts and events (almost always)', () => {
    expect(bloom.mayHoldLogs(logsBloomOf([]))).toBe(false);
    let ruledOut = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(hex(20), hex(32)), { minLength: 1, maxLength: 6 }), (others) => {
        if (!bloom.mayHoldLogs(logsBloomOf(others))) ruledOut += 1;
      }),
      { numRuns: 200 },
    );
    expect(ruledOut).toBeGreaterThan(190);
  });

  it('needs both the address and a watched topic: the Nexus address with only other events, or a watched topic from another contract, is ruled out', () => {
    const taskPublishedOnly = new NexusBloom(NEXUS_ADDRESS, [NEXUS_EVENT_TOPICS.TaskPublished]);
    expect(taskPublishedOnly.mayHoldLogs(logsBloomOf([NEXUS_ADDRESS, NEXUS_EVENT_TOPICS.Registered]))).toBe(false);
    expect(taskPublishedOnly.mayHoldLogs(logsBloomOf([`0x${'11'.repeat(20)}`, NEXUS_EVENT_TOPICS.TaskPublished]))).toBe(
      false,
    );
  });
});
