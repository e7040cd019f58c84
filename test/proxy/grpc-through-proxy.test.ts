/**
 * gRPC end to end through the proxy over h2c with the real grpc-js client and server: unary and
 * server-streaming calls keep their status, messages and trailers; errors keep their code, message and
 * trailing metadata; the proxy's own failures reach the client as gRPC statuses (trailers-only replies).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { makeBootstrap, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

const identity = (b: Buffer): Buffer => b;
const service: grpc.ServiceDefinition = {
  Echo: {
    path: '/spillway.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  Count: {
    path: '/spillway.test.Echo/Count',
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function unary(
  client: grpc.Client,
  method: string,
  body: string,
): Promise<{ reply?: Buffer; error?: grpc.ServiceError; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client.makeUnaryRequest(
      method,
      identity,
      identity,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, reply) => {
        const out: { reply?: Buffer; error?: grpc.ServiceError; trailers?: grpc.Metadata } = {};
        if (error !== null) out.error = error;
        if (reply !== undefined) out.reply = reply;
        // 'status' fires before the callback resolves in grpc-js; trailers captured below.
        setImmediate(() => resolve({ ...out, ...(trailers !== undefined ? { trailers } : {}) }));
      },
    );
    call.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
    });
  });
}

describe('gRPC through the proxy (h2c)', () => {
  let server: grpc.Server;
  let port: number;
  let proxy: RunningProxy;
  let refusedProxy: RunningProxy;
  let client: grpc.Client;

  before(async () => {
    server = new grpc.Server();
    server.addService(service, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const text = call.request.toString();
        const trailer = new grpc.Metadata();
        trailer.set('x-echo-trailer', `saw:${text}`);
        if (text === 'missing') {
          callback({ code: grpc.status.NOT_FOUND, details: 'no such thing', metadata: trailer });
          return;
        }
        callback(null, Buffer.from(`echo:${text}`), trailer);
      },
      Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const n = Number(call.request.toString());
        for (let i = 1; i <= n; i++) call.write(Buffer.from(`item ${i}`));
        const trailer = new grpc.Metadata();
        trailer.set('x-count', String(n));
        call.end(trailer);
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.77.20.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    proxy = await startProxy(
      makeBootstrap({ cluster: { priorities: [[{ address: '127.77.20.1', port }]], http2: true } }),
    );
    refusedProxy = await startProxy(
      makeBootstrap({ cluster: { priorities: [[{ address: '127.77.20.2', port: 9 }]], http2: true } }),
    );
    client = new grpc.Client(proxy.url.replace('http://', ''), grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await proxy.close();
    await refusedProxy.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  test('a unary call succeeds with its message and trailing metadata intact', async () => {
    const { reply, error, trailers } = await unary(client, '/spillway.test.Echo/Echo', 'hello');
    assert.equal(error, undefined);
    assert.equal(reply?.toString(), 'echo:hello');
    assert.deepEqual(trailers?.get('x-echo-trailer'), ['saw:hello']);
  });

  test('an error status keeps its code, message and trailing metadata', async () => {
    const { error } = await unary(client, '/spillway.test.Echo/Echo', 'missing');
    assert.equal(error?.code, grpc.status.NOT_FOUND);
    assert.equal(error?.details, 'no such thing');
    assert.deepEqual(error?.metadata.get('x-echo-trailer'), ['saw:missing']);
  });

  test('a server-streaming call delivers every message and the final status with trailers', async () => {
    const call = client.makeServerStreamRequest(
      '/spillway.test.Echo/Count',
      identity,
      identity,
      Buffer.from('5'),
    );
    const items: string[] = [];
    call.on('data', (b: Buffer) => items.push(b.toString()));
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    assert.deepEqual(items, ['item 1', 'item 2', 'item 3', 'item 4', 'item 5']);
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(status.metadata.get('x-count'), ['5']);
  });

  test("a refused upstream reaches a gRPC client as UNAVAILABLE with Envoy's reset message", async () => {
    const refusedClient = new grpc.Client(
      refusedProxy.url.replace('http://', ''),
      grpc.credentials.createInsecure(),
    );
    try {
      const { error } = await unary(refusedClient, '/spillway.test.Echo/Echo', 'x');
      assert.equal(error?.code, grpc.status.UNAVAILABLE);
      assert.equal(
        error?.details,
        'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, ' +
          'transport failure reason: delayed connect error: Connection refused',
      );
    } finally {
      refusedClient.close();
    }
  });
});
