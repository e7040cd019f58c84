/**
 * A proxyless gRPC client on the real @grpc/grpc-js-xds, run as its own process (the xDS
 * bootstrap is read once per process): `GRPC_XDS_BOOTSTRAP_CONFIG` must be set by the parent.
 * Target from argv[2] (e.g. `xds:///echo.test:50051`), CSDS admin server bound on argv[3]
 * (`127.82.x.y`, port 0).
 *
 * It acts only when `SPILLWAY_XDS_ECHO_CLIENT=1` is set: `node --test dist/` also loads every
 * file under a `test` folder, and there it must do nothing.
 *
 * Protocol on stdio, one JSON object per line:
 * - stdout first: `{"ready": true, "adminAddress": "127.82.x.y:port"}`;
 * - stdin `{"id": n, "op": "call"}` -> stdout `{"id": n, "reply": "<backend>"}` or `{"id": n, "error": "..."}`.
 */
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';

async function main(): Promise<void> {
  const grpcXds = await import('@grpc/grpc-js-xds');
  grpcXds.register();
  const identity = (b: Buffer): Buffer => b;
  const target = process.argv[2] ?? 'xds:///echo.test:50051';
  const adminHost = process.argv[3] ?? '127.0.0.1';

  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const admin = new grpc.Server();
  grpc.addAdminServicesToServer(admin);

  function write(message: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  }

  function call(id: unknown): void {
    client.makeUnaryRequest(
      '/spillway.test.Echo/Echo',
      identity,
      identity,
      Buffer.from('hello'),
      // Per-call deadline: without one an unresolved xds target waits forever (real-peers 1.5).
      { deadline: new Date(Date.now() + 5_000) },
      (error, reply) => {
        if (error !== null) write({ id, error: `${grpc.status[error.code]}: ${error.details}` });
        else write({ id, reply: reply?.toString() ?? '' });
      },
    );
  }

  admin.bindAsync(`${adminHost}:0`, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err !== null) {
      process.stderr.write(`admin bind failed: ${err.message}\n`);
      process.exit(2);
    }
    write({ ready: true, adminAddress: `${adminHost}:${port}` });
  });

  createInterface({ input: process.stdin }).on('line', (line) => {
    const message = JSON.parse(line) as { id?: unknown; op?: unknown };
    if (message.op === 'call') call(message.id);
  });

  process.stdin.on('end', () => {
    client.close();
    admin.forceShutdown();
    process.exit(0);
  });
}

if (process.env['SPILLWAY_XDS_ECHO_CLIENT'] === '1') await main();
