import { TaskStatus } from 'ogpu-events';
import { HELP, UsageError, type WatchCommand, parseArgs } from '../../../src/cli/parseArgs';

const TASK = '0x' + '11'.repeat(20);
const RPC = ['--rpc', 'http://127.0.0.1:8545', '--nexus', '0x' + '22'.repeat(20)];

function watch(...args: string[]): WatchCommand {
  const command = parseArgs(['watch', 'taskStatusChanged', TASK, ...RPC, ...args]);
  if (command.kind !== 'watch') throw new Error('expected a watch command');
  return command;
}

describe('parseArgs', () => {
  it('reads a watch command with its defaults: no removals, human lines', () => {
    expect(watch()).toEqual({
      kind: 'watch',
      stream: 'taskStatusChanged',
      address: TASK,
      rpcUrl: 'http://127.0.0.1:8545',
      network: undefined,
      nexus: '0x' + '22'.repeat(20),
      fromBlock: undefined,
      confirmations: undefined,
      pollInterval: undefined,
      json: false,
      withRemovals: false,
      untilStatus: undefined,
    });
  });

  it('--with-removals asks for removals, anywhere on the line and with the other options', () => {
    expect(watch('--with-removals').withRemovals).toBe(true);
    const command = parseArgs(['--with-removals', 'watch', 'taskStatusChanged$', TASK, '--json', ...RPC]);
    expect(command).toMatchObject({ kind: 'watch', withRemovals: true, json: true });
    expect(watch('--with-removals', '--until-status', 'finalized', '--from-block', '12')).toMatchObject({
      withRemovals: true,
      untilStatus: { name: 'FINALIZED', value: TaskStatus.FINALIZED },
      fromBlock: 12,
    });
  });

  it('--with-removals takes no value', () => {
    expect(() => watch('--with-removals=yes')).toThrow(new UsageError("unknown option '--with-removals'"));
  });

  it('--help lists --with-removals and says what a removal looks like', () => {
    expect(parseArgs(['watch', '--with-removals', '--help'])).toEqual({ kind: 'help' });
    expect(HELP).toMatch(/^ {2}--with-removals {8}.*\n.*REMOVED.*"removed": true/m);
  });
});
