import { crc32 } from 'node:zlib';

/**
 * On-disk record framing of the local log:
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = f64 offset | f64 timestamp | u16 keyLength | key (utf8) | value
 * The CRC lets recovery find a torn tail after kill -9 or power loss and cut it off.
 */
export const HEADER = 8;
const FIXED_BODY = 18;

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: string;
  value: Buffer;
}

export function encodeRecords(records: { offset: number; timestamp: number; key: string; value: Buffer }[]): Buffer {
  let size = 0;
  const keys = records.map((r) => Buffer.from(r.key, 'utf8'));
  for (let i = 0; i < records.length; i++) size += HEADER + FIXED_BODY + keys[i].length + records[i].value.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const key = keys[i];
    if (key.length > 0xffff) throw new RangeError(`bus key of ${key.length} bytes exceeds 65535`);
    const bodyStart = pos + HEADER;
    out.writeDoubleLE(r.offset, bodyStart);
    out.writeDoubleLE(r.timestamp, bodyStart + 8);
    out.writeUInt16LE(key.length, bodyStart + 16);
    key.copy(out, bodyStart + FIXED_BODY);
    r.value.copy(out, bodyStart + FIXED_BODY + key.length);
    const bodyLength = FIXED_BODY + key.length + r.value.length;
    out.writeUInt32LE(bodyLength, pos);
    out.writeUInt32LE(crc32(out.subarray(bodyStart, bodyStart + bodyLength)), pos + 4);
    pos = bodyStart + bodyLength;
  }
  return out;
}

export type DecodeStep =
  | { kind: 'record'; record: DecodedRecord; size: number }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; why: string };

/** Decodes the record starting at `pos`, without copying the value (it is a view of `buf`). */
export function decodeAt(buf: Buffer, pos: number, end: number): DecodeStep {
  if (end - pos < HEADER) return { kind: 'incomplete' };
  const bodyLength = buf.readUInt32LE(pos);
  if (bodyLength < FIXED_BODY) return { kind: 'corrupt', why: `body length ${bodyLength} too small` };
  if (end - pos < HEADER + bodyLength) return { kind: 'incomplete' };
  const bodyStart = pos + HEADER;
  const body = buf.subarray(bodyStart, bodyStart + bodyLength);
  if (crc32(body) !== buf.readUInt32LE(pos + 4)) return { kind: 'corrupt', why: 'crc mismatch' };
  const keyLength = body.readUInt16LE(16);
  if (FIXED_BODY + keyLength > bodyLength) return { kind: 'corrupt', why: 'key longer than body' };
  return {
    kind: 'record',
    size: HEADER + bodyLength,
    record: {
      offset: body.readDoubleLE(0),
      timestamp: body.readDoubleLE(8),
      key: body.toString('utf8', FIXED_BODY, FIXED_BODY + keyLength),
      value: body.subarray(FIXED_BODY + keyLength),
    },
  };
}
