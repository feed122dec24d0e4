import { resolveBrokerOptions } from '../../../src/jetstream/resolveBrokerOptions';

describe('resolveBrokerOptions', () => {
  it('takes user and password out of the URL (the NATS client would ignore them there)', () => {
    expect(resolveBrokerOptions({ servers: 'nats://relay:s%40cret@127.0.0.1:4222' })).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      transport: 'tcp',
      stream: 'OGPU_NEXUS',
      user: 'relay',
      pass: 's@cret',
      token: undefined,
    });
  });

  it('reads a lone user part as a token, and lets explicit options win over the URL', () => {
    expect(resolveBrokerOptions({ servers: 'nats://t0ken@host:4222' })).toMatchObject({
      token: 't0ken',
      user: undefined,
    });
    expect(resolveBrokerOptions({ servers: 'nats://a:b@host:4222', user: 'c', pass: 'd' })).toMatchObject({
      user: 'c',
      pass: 'd',
    });
  });

  it('passes TLS and WebSocket URLs through, and tells the transport', () => {
    expect(resolveBrokerOptions({ servers: ['tls://a:4222', 'nats://b:4222'] })).toMatchObject({
      servers: ['tls://a:4222', 'nats://b:4222'],
      transport: 'tcp',
    });
    expect(resolveBrokerOptions({ servers: 'wss://reader:pw@example.org:443/nats', stream: 'X' })).toMatchObject({
      servers: ['wss://example.org/nats'],
      transport: 'ws',
      stream: 'X',
      user: 'reader',
    });
  });

  it.each([
    [{ servers: '' }, 'servers'],
    [{ servers: [] }, 'servers'],
    [{ servers: 'http://host:4222' }, 'servers'],
    [{ servers: 'not a url' }, 'servers'],
    [{ servers: ['nats://a:1', 'ws://b:2'] }, 'servers'],
    [{ servers: 'nats://a:1', stream: 'with.dot' }, 'stream'],
    [{ servers: 'nats://a:1', stream: '' }, 'stream'],
    [{ servers: 'nats://a:1', pass: 42 }, 'pass'],
  ])('rejects %j naming the option', (options, option) => {
    expect(() => resolveBrokerOptions(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option }),
    );
  });

  it('never puts a password into an error message', () => {
    try {
      resolveBrokerOptions({ servers: 'nats://a:1', pass: 12 as never });
    } catch (error) {
      expect(String(error)).not.toContain('12');
    }
  });
});
