import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';

/** A byte string the fake clamd reports as a virus. */
export const FAKE_CLAMD_MARKER = 'FAKE-CLAMD-TEST-MARKER';

export type FakeClamdBehaviour = 'scan' | 'size-limit' | 'silent' | 'hang-up';

/**
 * A fake clamd: a real TCP (or unix socket) peer speaking the INSTREAM protocol as clamd does.
 * It reads `zINSTREAM\0`, then length-prefixed chunks up to a zero length, and answers
 * `stream: Eicar-Test-Signature FOUND` when the stream holds the EICAR signature,
 * `stream: Fake.Test.Marker FOUND` when it holds FAKE_CLAMD_MARKER (a "virus" only this fake
 * knows, to tell its verdicts from Outbox's own EICAR check), else `stream: OK`.
 */
export class FakeClamd {
  behaviour: FakeClamdBehaviour = 'scan';
  /** Chunk lengths of the last stream, as announced. */
  chunkLengths: number[] = [];
  streams: Buffer[] = [];
  private server: Server = createServer((socket) => this.serve(socket));

  listen(target: { port: number; host: string } | { path: string }): Promise<void> {
    return new Promise((resolve) => this.server.listen(target, () => resolve()));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    let buffer = Buffer.alloc(0);
    let command: string | undefined;
    const chunks: Buffer[] = [];
    this.chunkLengths = [];
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (command === undefined) {
        const end = buffer.indexOf(0);
        if (end < 0) return;
        command = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 1);
        if (command === 'zPING') {
          socket.end('PONG\0');
          return;
        }
        if (this.behaviour === 'hang-up') {
          socket.destroy();
          return;
        }
      }
      if (command !== 'zINSTREAM') return;
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const stream = Buffer.concat(chunks);
          this.streams.push(stream);
          if (this.behaviour === 'silent') return;
          socket.end(
            stream.includes(EICAR_SIGNATURE)
              ? 'stream: Eicar-Test-Signature FOUND\0'
              : stream.includes(FAKE_CLAMD_MARKER)
                ? 'stream: Fake.Test.Marker FOUND\0'
                : 'stream: OK\0',
          );
          return;
        }
        if (this.behaviour === 'size-limit' && chunks.length >= 1) {
          // What clamd does past StreamMaxLength: answer and close while the client still writes.
          socket.end('INSTREAM size limit exceeded. ERROR\0');
          return;
        }
        if (buffer.length < 4 + length) return;
        this.chunkLengths.push(length);
        chunks.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  }
}

