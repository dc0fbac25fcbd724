// NumPy .npy (format 1.0) writer and reader for float32 matrices: activations export, one file per
// layer, named layer_000.npy, layer_001.npy … so that sorting by name gives layer order.
import fs from 'node:fs';

export function encodeNpy(data: Float32Array, shape: number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Header (magic 6 + version 2 + len 2 + dict + padding + \n) must be a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const header = dict + ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength); // little-endian hosts only
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

export function decodeNpy(buf: Buffer): { shape: number[]; data: Float32Array } {
  if (buf.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error('not a .npy file');
  const len = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + len).toString('latin1');
  if (!header.includes("'descr': '<f4'")) throw new Error(`unsupported dtype in .npy header: ${header.trim()}`);
  const shape = (header.match(/'shape': \(([^)]*)\)/)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const bytes = buf.subarray(10 + len);
  const data = new Float32Array(bytes.length / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { shape, data };
}

export function layerFileName(layer: number): string {
  return `layer_${String(layer).padStart(3, '0')}.npy`;
}

export function writeNpyAtomic(file: string, data: Float32Array, shape: number[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, encodeNpy(data, shape));
  fs.renameSync(tmp, file);
}
