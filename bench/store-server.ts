/**
 * The benchmark's store, run as its own process (forked by store.ts): dynalite with the local
 * runtime's settings, on a free loopback port. Own process so the store and the code under test do
 * not share one event loop and one core. It counts every request by DynamoDB operation (and those
 * that failed, such as a failed condition) and reports its own CPU time, so a measure can say how
 * many calls it made and which side was busy.
 *
 * IPC: sends `{ type: 'ready', endpoint }` once listening; answers `{ type: 'stats' }` with
 * `{ type: 'stats', stats }` and `{ type: 'reset' }` with `{ type: 'reset' }`.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

interface OperationStats {
  calls: number;
  failed: number;
}

let operations = new Map<string, OperationStats>();
let cpuAtReset = process.cpuUsage();

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('request', (request, response) => {
  // `X-Amz-Target: DynamoDB_20120810.PutItem`
  const operation = String(request.headers['x-amz-target'] ?? 'unknown').split('.').pop() ?? 'unknown';
  response.on('finish', () => {
    const stats = operations.get(operation) ?? { calls: 0, failed: 0 };
    stats.calls += 1;
    if (response.statusCode >= 400) stats.failed += 1;
    operations.set(operation, stats);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', endpoint: `http://127.0.0.1:${port}` });
});

process.on('message', (message: { type?: string }) => {
  if (message.type === 'reset') {
    operations = new Map();
    cpuAtReset = process.cpuUsage();
    process.send?.({ type: 'reset' });
  } else if (message.type === 'stats') {
    const cpu = process.cpuUsage(cpuAtReset);
    process.send?.({ type: 'stats', stats: { operations: Object.fromEntries(operations), cpuMs: (cpu.user + cpu.system) / 1000 } });
  }
});

// The parent going away (even killed) closes the IPC channel: stop with it.
process.on('disconnect', () => process.exit(0));
