// safetensors reading and writing (https://huggingface.co/docs/safetensors: 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the raw little-endian data; offsets are relative to the start of the data section).
// We write F32 only; we read F32, F16 and BF16 and always hand back float32. Every malformed input is
// reported with the file name and what is wrong.

import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

export type SafeDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100_000_000; // the format's own limit

export interface LoadedTensor { dtype: SafeDtype; shape: number[]; data: Float32Array }
export interface SafetensorsFile { tensors: Map<string, LoadedTensor>; metadata: Record<string, string> }
export interface TensorToWrite { shape: readonly number[]; data: Float32Array }

export class SafetensorsError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new SafetensorsError(path, `cannot read: ${(e as Error).message}`); }
  return parseSafetensors(buf, path);
}

export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): SafetensorsFile {
  const fail = (m: string): never => { throw new SafetensorsError(file, m); };
  if (buf.length < 8) fail(`truncated: ${buf.length} bytes, a safetensors file starts with an 8-byte header length`);
  const hlen = headerLength(buf.subarray(0, 8), buf.length, fail);
  const data = buf.subarray(8 + hlen);
  const { entries, metadata } = parseHeader(buf.subarray(8, 8 + hlen), data.length, fail);
  const tensors = new Map<string, LoadedTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(data.subarray(e.begin, e.end), e.dtype, e.count) });
  return { tensors, metadata };
}

/** One tensor as the header describes it: byte range [begin, end) of the data section. */
export interface HeaderEntry { name: string; dtype: SafeDtype; shape: number[]; count: number; begin: number; end: number }

function headerLength(first8: Uint8Array, fileLength: number, fail: (m: string) => never): number {
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(`header length ${n} is larger than the format's limit (${MAX_HEADER}); not a safetensors file?`);
  const hlen = Number(n);
  if (8 + hlen > fileLength) fail(`header length ${hlen} runs past the end of the file (${fileLength} bytes): truncated or not safetensors`);
  return hlen;
}

/** Parse and validate the JSON header against a data section of `dataLength` bytes. */
function parseHeader(headerBytes: Uint8Array, dataLength: number, fail: (m: string) => never): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try { header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)); } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') { metadata = (v ?? {}) as Record<string, string>; continue; }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object' || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
      fail(`tensor "${name}": header entry needs dtype, shape and data_offsets [begin, end]`);
    const dtype = e.dtype as string, shape = e.shape as number[], [begin, end] = e.data_offsets as number[];
    if (!(dtype in BYTES)) fail(`tensor "${name}": unknown dtype ${dtype}`);
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') fail(`tensor "${name}": dtype ${dtype} is not supported (F32, F16, BF16 are)`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    if (![begin, end].every((x) => Number.isInteger(x) && x >= 0) || end < begin) fail(`tensor "${name}": bad data_offsets [${begin}, ${end}]`);
    if (end > dataLength) fail(`tensor "${name}": data_offsets [${begin}, ${end}] out of range: the data section has ${dataLength} bytes (truncated file?)`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype} (expected ${count * BYTES[dtype]})`);
    entries.push({ name, dtype: dtype as SafeDtype, shape, count, begin, end });
  }
  checkTiling(entries, dataLength, fail);
  return { entries, metadata };
}

/**
 * Read tensors straight into arrays the caller owns, without holding the file in memory: the header
 * is read and validated first (as readSafetensors does), then `target(entry)` names the array for
 * each tensor (undefined: skip it) — the caller checks names and shapes there, before any data is
 * read. F32 data is read directly into the target's bytes; F16/BF16 through a temporary. Resuming at
 * ModernBERT-base size reads the 1.2 GB optimizer file this way into the packed state: reading it
 * whole first held it beside the state, and the malloc settings kept that peak resident.
 */
export function readSafetensorsInto(path: string, target: (e: HeaderEntry) => Float32Array | undefined, check?: (entries: HeaderEntry[]) => void): { metadata: Record<string, string> } {
  const fail = (m: string): never => { throw new SafetensorsError(path, m); };
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) { throw new SafetensorsError(path, `cannot read: ${(e as Error).message}`); }
  try {
    const size = fstatSync(fd).size;
    const readAt = (dst: Uint8Array, pos: number) => {
      let done = 0;
      while (done < dst.length) {
        const n = readSync(fd, dst, done, dst.length - done, pos + done);
        if (n === 0) fail(`truncated while reading: ${pos + done} of ${size} bytes`);
        done += n;
      }
    };
    if (size < 8) fail(`truncated: ${size} bytes, a safetensors file starts with an 8-byte header length`);
    const first8 = new Uint8Array(8);
    readAt(first8, 0);
    const hlen = headerLength(first8, size, fail);
    const headerBytes = new Uint8Array(hlen);
    readAt(headerBytes, 8);
    const { entries, metadata } = parseHeader(headerBytes, size - 8 - hlen, fail);
    check?.(entries);
    const plan = entries.map((e) => [e, target(e)] as const);        // every target chosen (and checked) before any read
    for (const [e, dst] of plan) {
      if (!dst) continue;
      if (dst.length !== e.count) fail(`tensor "${e.name}": ${e.count} values, the target holds ${dst.length}`);
      const pos = 8 + hlen + e.begin;
      if (e.dtype === 'F32') readAt(new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength), pos);
      else {
        const bytes = new Uint8Array(e.end - e.begin);
        readAt(bytes, pos);
        dst.set(toFloat32(bytes, e.dtype, e.count));
      }
    }
    return { metadata };
  } finally {
    closeSync(fd);
  }
}

/**
 * The tensors' byte ranges must tile the data section exactly, as the reference implementation
 * requires: overlapping ranges would make two tensors share (and a writer clobber) the same bytes,
 * and gaps or trailing bytes mean the header does not describe the file (a crafted or damaged file).
 */
function checkTiling(ranges: { name: string; begin: number; end: number }[], dataLength: number, fail: (m: string) => never): void {
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: string | null = null;
  for (const r of sorted) {
    if (r.begin < at) fail(`tensor "${r.name}": data_offsets [${r.begin}, ${r.end}] overlap tensor "${prev}" (which ends at ${at})`);
    if (r.begin > at) fail(`tensor "${r.name}": data_offsets [${r.begin}, ${r.end}] leave bytes ${at}..${r.begin} of the data section unused (offsets must tile it)`);
    at = r.end;
    prev = r.name;
  }
  if (at !== dataLength) fail(`the tensors cover ${at} bytes but the data section has ${dataLength} (trailing bytes: offsets must tile it)`);
}

function toFloat32(bytes: Uint8Array, dtype: SafeDtype, count: number): Float32Array {
  // F32 at a 4-byte aligned offset (what HF and our writer produce: the header is padded) is a view
  // into the file's buffer: a ModernBERT-base optimizer file is 1.2 GB, and a copy per tensor held it
  // twice while a checkpoint was read. Views keep the file's buffer alive as long as any tensor is.
  if (dtype === 'F32' && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(bytes); // aligned copy; the file's offsets need not be 4-byte aligned
  if (dtype === 'F32') return new Float32Array(copy.buffer, 0, count);
  const half = new Uint16Array(copy.buffer, 0, count);
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = half[i] << 16; // bfloat16 = the top half of a float32
  } else {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(half[i]);
  }
  return out;
}

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Write float32 tensors (names sorted) with metadata {format: "pt"} (transformers refuses files without
 * it), then fsync. The caller handles atomicity (checkpoint.ts writes into a temp directory).
 */
export function writeSafetensors(path: string, tensors: Map<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`writeSafetensors ${path}: tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8; // keep the data section 8-byte aligned, as the reference writer does
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, json);
    for (const name of names) {
      const d = tensors.get(name)!.data;
      writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
