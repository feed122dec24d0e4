import {
  InvalidAddressError,
  InvalidOptionError,
  InvalidRpcResponseError,
  OgpuEventsError,
  RpcRequestError,
} from 'ogpu-events';

describe('errors', () => {
  it.each([
    ['InvalidAddressError', new InvalidAddressError('address', '0x1', 'is too short'), 'INVALID_ADDRESS'],
    ['InvalidOptionError', new InvalidOptionError('pollInterval', -1, 'a number ≥ 1'), 'INVALID_OPTION'],
    ['RpcRequestError', new RpcRequestError('eth_getLogs', new Error('boom')), 'RPC_REQUEST_FAILED'],
    ['InvalidRpcResponseError', new InvalidRpcResponseError('eth_blockNumber', 'x', ['bad']), 'INVALID_RPC_RESPONSE'],
  ])('%s is an OgpuEventsError and an Error with its name and stable code', (name, error, code) => {
    expect(error).toBeInstanceOf(OgpuEventsError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('InvalidOptionError names the option, shows the value and says what was expected', () => {
    const error = new InvalidOptionError('maxBlockRange', 0, 'a whole number ≥ 1');
    expect(error.message).toBe('Invalid value for maxBlockRange: 0; expected a whole number ≥ 1.');
    expect(error.shortMessage).toBe(error.message);
    expect(error.details).toEqual([]);
  });

  it('InvalidAddressError names the parameter and quotes the value', () => {
    const error = new InvalidAddressError('source address', '0x12', 'is not 0x followed by 40 hex digits');
    expect(error.message).toBe('Invalid address for source address: "0x12" is not 0x followed by 40 hex digits.');
  });

  it('RpcRequestError keeps the cause and the first line of its message', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:8545\n    at stack');
    const error = new RpcRequestError('eth_blockNumber', cause);
    expect(error.cause).toBe(cause);
    expect(error.method).toBe('eth_blockNumber');
    expect(error.message).toBe('JSON-RPC request eth_blockNumber failed: connect ECONNREFUSED 127.0.0.1:8545');
  });

  it('InvalidRpcResponseError puts the problems in details, one line each after the short message', () => {
    const error = new InvalidRpcResponseError('eth_getLogs', { a: 1n }, ['expected an array', 'got an object']);
    expect(error.shortMessage).toBe('Unexpected result from eth_getLogs: {"a":"1n"}');
    expect(error.details).toEqual(['expected an array', 'got an object']);
    expect(error.message).toBe(`${error.shortMessage}\nexpected an array\ngot an object`);
  });
});
