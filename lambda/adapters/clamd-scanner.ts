import { connect, type Socket } from 'node:net';
import type { ScanVerdict, VirusScanner } from '../core/content-scan';

export interface ClamdScannerOptions {
  /** `host:port` (`[::1]:3310` for IPv6) or the path of clamd's unix socket (anything with a `/`). */
  readonly address: string;
  /** For the whole exchange, connect to verdict. Default 10 s. */
  readonly timeoutMs?: number;
  /** Bytes per INSTREAM chunk. Default 64 KiB. */
  readonly chunkBytes?: number;
}

type Target = { readonly path: string } | { readonly host: string; readonly port: number };

/**
 * A ClamAV daemon over its INSTREAM protocol (clamd(8)), on TCP or a unix socket. One connection
 * per scan: `zINSTREAM\0`, then chunks each prefixed with its length as a 4-byte big-endian
 * integer, then a zero length; clamd answers `stream: OK`, `stream: <signature> FOUND` or
 * `<reason> ERROR`, ended by NUL (the `z` form). Errors, timeouts and unexpected answers throw,
 * so the caller can refuse the send rather than let unscanned mail through.
 */
export class ClamdScanner implements VirusScanner {
  readonly description: string;
  private readonly target: Target;
  private readonly timeoutMs: number;
  private readonly chunkBytes: number;

  constructor(options: ClamdScannerOptions) {
    this.target = parseClamdAddress(options.address);
    this.description = `clamd at ${options.address}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
  }

  async scan(content: Uint8Array): Promise<ScanVerdict> {
    const reply = await this.exchange((socket) => {
      socket.write('zINSTREAM\0');
      for (let offset = 0; offset < content.byteLength; offset += this.chunkBytes) {
        const chunk = content.subarray(offset, Math.min(offset + this.chunkBytes, content.byteLength));
        const length = Buffer.alloc(4);
        length.writeUInt32BE(chunk.byteLength);
        socket.write(length);
        socket.write(chunk);
      }
      socket.write(Buffer.alloc(4));
    });
    return parseInstreamReply(reply);
  }

  /** Whether clamd answers `PING` with `PONG` (for the start-up line). Never throws. */
  async ping(): Promise<boolean> {
    try {
      return (await this.exchange((socket) => socket.write('zPING\0'))) === 'PONG';
    } catch {
      return false;
    }
  }

  private exchange(send: (socket: Socket) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in this.target ? connect({ path: this.target.path }) : connect({ host: this.target.host, port: this.target.port });
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: Error | undefined, reply?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(reply!);
      };
      const timer = setTimeout(() => finish(new Error(`clamd did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.on('connect', () => send(socket));
      socket.on('data', (data: Buffer) => {
        chunks.push(data);
        const received = Buffer.concat(chunks);
        const end = received.indexOf(0);
        if (end >= 0) finish(undefined, received.subarray(0, end).toString('utf8').trim());
      });
      // clamd may close the connection after answering (e.g. a size limit) while we still write.
      socket.on('end', () => {
        const received = Buffer.concat(chunks).toString('utf8').replace(/\0.*$/s, '').trim();
        finish(received ? undefined : new Error('clamd closed the connection without an answer'), received);
      });
      socket.on('error', (error) => {
        const received = Buffer.concat(chunks).toString('utf8').replace(/\0.*$/s, '').trim();
        const code = (error as NodeJS.ErrnoException).code;
        if (received && (code === 'EPIPE' || code === 'ECONNRESET')) finish(undefined, received);
        else finish(new Error(`clamd is unreachable: ${error.message}`, { cause: error }));
      });
    });
  }
}

/** `host:port`, `[v6]:port`, or a socket path (contains `/`). */
export function parseClamdAddress(address: string): Target {
  const trimmed = address.trim();
  if (trimmed.includes('/')) return { path: trimmed };
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(trimmed);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`clamd address must be host:port (e.g. 127.0.0.1:3310) or a unix socket path; got ${JSON.stringify(address)}`);
  }
  return { host: (match[1] ?? match[2])!, port };
}

/** Reads clamd's INSTREAM answer; throws on anything but a verdict. */
export function parseInstreamReply(reply: string): ScanVerdict {
  if (/^stream: OK$/.test(reply)) return { infected: false };
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found) return { infected: true, signature: found[1]! };
  throw new Error(`clamd could not scan the content: ${reply || '(empty answer)'}`);
}
