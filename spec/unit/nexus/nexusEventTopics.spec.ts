import { Interface, getAddress } from 'ethers';
import { NETWORKS, NEXUS_EVENT_TOPICS, type NexusEvent, type NexusEventName } from 'ogpu-events';
import { NEXUS_TOPIC0S } from '../../../src/nexus/nexusEventTopics';
import { DESCRIPTORS_BY_TOPIC } from '../../../src/streams/nexusEventDescriptors';
import * as descriptors from '../../../src/streams/nexusEventDescriptors';
import abi from '../../fixtures/NexusAbi.json';

const nexusAbi = new Interface(abi);
const SIX: readonly NexusEventName[] = [
  'TaskPublished',
  'Attempted',
  'ResponseSubmitted',
  'ResponseStatusChanged',
  'TaskStatusChanged',
  'Registered',
];

const event = (name: string) => {
  const fragment = nexusAbi.getEvent(name);
  if (fragment === null) throw new Error(`${name} is not in NexusAbi.json`);
  return fragment;
};

describe('NEXUS_EVENT_TOPICS', () => {
  it('names exactly the six streamed events', () => {
    expect(Object.keys(NEXUS_EVENT_TOPICS).sort()).toEqual([...SIX].sort());
  });

  it.each(SIX)('holds the topic hash of %s in the Nexus ABI', (name) => {
    expect(NEXUS_EVENT_TOPICS[name]).toBe(event(name).topicHash);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(NEXUS_EVENT_TOPICS)).toBe(true);
  });

  it('NEXUS_TOPIC0S, the eth_getLogs topic filter, lists the six topics once each', () => {
    expect([...NEXUS_TOPIC0S].sort()).toEqual(SIX.map((name) => event(name).topicHash).sort());
  });

  it.each(SIX)('%s indexes nothing and has only static parameters, as the decoders assume', (name) => {
    for (const input of event(name).inputs) {
      expect(input.indexed).toBe(false);
      expect(['address', 'uint256', 'uint8']).toContain(input.type);
    }
  });
});

describe('nexus event descriptors', () => {
  const SCOPES: Readonly<
    Record<NexusEventName, { descriptor: descriptors.NexusEventDescriptor<NexusEvent>; method: string; scope: string }>
  > = {
    TaskPublished: { descriptor: descriptors.taskPublished, method: 'taskPublished$', scope: 'source' },
    Attempted: { descriptor: descriptors.attempted, method: 'attempted$', scope: 'task' },
    ResponseSubmitted: { descriptor: descriptors.responseSubmitted, method: 'responseSubmitted$', scope: 'task' },
    ResponseStatusChanged: {
      descriptor: descriptors.responseStatusChanged,
      method: 'responseStatusChanged$',
      scope: 'response',
    },
    TaskStatusChanged: { descriptor: descriptors.taskStatusChanged, method: 'taskStatusChanged$', scope: 'task' },
    Registered: { descriptor: descriptors.registered, method: 'registered$', scope: 'source' },
  };

  it.each(SIX)('%s: topic0, word count and scope word match the ABI', (name) => {
    const { descriptor, method, scope } = SCOPES[name];
    const inputs = event(name).inputs;

    expect(descriptor.name).toBe(name);
    expect(descriptor.method).toBe(method);
    expect(descriptor.topic0).toBe(event(name).topicHash);
    expect(descriptor.words).toBe(inputs.length);
    expect(descriptor.scope).toEqual({ field: scope, word: inputs.findIndex((input) => input.name === scope) });
    expect(inputs[descriptor.scope.word]!.type).toBe('address');
  });

  it('DESCRIPTORS_BY_TOPIC finds each of the six descriptors by its topic0, and nothing else', () => {
    expect(DESCRIPTORS_BY_TOPIC.size).toBe(6);
    for (const name of SIX) expect(DESCRIPTORS_BY_TOPIC.get(event(name).topicHash)).toBe(SCOPES[name].descriptor);
    expect(DESCRIPTORS_BY_TOPIC.get(event('OwnershipTransferred').topicHash)).toBeUndefined();
  });
});

describe('NETWORKS', () => {
  it.each(Object.entries(NETWORKS))('%s has a checksummed Nexus address and an https RPC URL', (_name, preset) => {
    expect(getAddress(preset.nexusAddress)).toBe(preset.nexusAddress);
    expect(new URL(preset.rpcUrl).protocol).toBe('https:');
    expect(typeof preset.chainId).toBe('bigint');
  });
});
