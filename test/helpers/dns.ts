/**
 * A tiny authoritative DNS server on UDP for tests: answers TXT questions from a map, NXDOMAIN for the
 * rest. Qoima's ownership check talks to it through QOIMA_DNS_SERVERS, over the real DNS protocol.
 */
import { createSocket } from 'node:dgram';

export interface FakeDns {
  port: number;
  txt: Map<string, string[]>;
  close(): void;
}

function readName(msg: Buffer, at: number): [string, number] {
  const labels: string[] = [];
  while (msg[at]! > 0) {
    const len = msg[at]!;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += len + 1;
  }
  return [labels.join('.').toLowerCase(), at + 1];
}

export async function startFakeDns(): Promise<FakeDns> {
  const txt = new Map<string, string[]>();
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const [name, end] = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    const question = msg.subarray(12, end + 4);
    const records = qtype === 16 ? (txt.get(name) ?? []) : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    // response, authoritative, NXDOMAIN when unknown
    header.writeUInt16BE(0x8400 | (records.length || txt.has(name) ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((r) => {
      const data = Buffer.from(r);
      const rr = Buffer.alloc(12 + 1 + data.length);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(16, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(1, 6);
      rr.writeUInt16BE(1 + data.length, 10);
      rr.writeUInt8(data.length, 12);
      data.copy(rr, 13);
      return rr;
    });
    sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, txt, close: () => sock.close() };
}
