import { existsSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describeWithNats, startNatsServer } from '../../support/natsServer';

describeWithNats('spec support: startNatsServer', () => {
  it('starts JetStream on a loopback port with a store that outlives a restart, and removes it on stop', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      const nc = await connect({
        servers: server.url,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
        timeout: 1_000,
      });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
      await jetstream(nc).publish('s.one', 'hello');
      const pid = server.pid();
      await server.restart();
      expect(server.pid()).not.toBe(pid);
      // The client reconnects to the same port (a request sent before it noticed the restart
      // gets no answer); the file store kept the message.
      const info = await retry(() => jsm.streams.info('S'));
      expect(info.state.messages).toBe(1);
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(existsSync(server.storeDir)).toBe(false);
  });

  it('enforces the users and permissions it is given', async () => {
    const server = await startNatsServer({
      users: [
        { user: 'writer', password: 'w' },
        { user: 'reader', password: 'r', publish: { allow: ['$JS.API.>'], deny: ['s.>'] } },
      ],
    });
    try {
      await expect(connect({ servers: server.url, user: 'writer', pass: 'nope' })).rejects.toThrow(/Authorization/i);
      const writer = await connect({ servers: server.url, user: 'writer', pass: 'w' });
      await (await jetstreamManager(writer)).streams.add({ name: 'S', subjects: ['s.>'] });
      const reader = await connect({ servers: server.url, user: 'reader', pass: 'r' });
      await expect(jetstream(reader).publish('s.one', 'forged', { timeout: 1_000 })).rejects.toThrow();
      await writer.close();
      await reader.close().catch(() => undefined);
    } finally {
      await server.stop();
    }
  });

  it('listens for WebSocket clients when asked', async () => {
    const server = await startNatsServer({ websocket: true });
    try {
      expect(server.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.stop();
    }
  });
});

async function retry<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
