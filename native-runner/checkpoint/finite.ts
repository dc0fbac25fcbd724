// Weights that are NaN or ±Infinity are never a model anyone wants: a checkpoint with them poisons
// every analysis downstream (15 NaN activation rows, a CKA error naming neither checkpoint nor layer).
// These checks name the tensor and the first bad index, so the message says where to look.

/** Index of the first non-finite value, or -1. */
export function firstNonFinite(data: Float32Array | Float64Array): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    // x - x is 0 for finite x and NaN for NaN/±Infinity: one comparison per value.
    if (x - x !== 0) return i;
  }
  return -1;
}

export class NonFiniteTensorError extends Error {
  override name = 'NonFiniteTensorError';
  constructor(readonly where: string, readonly tensor: string, readonly index: number, readonly value: number) {
    super(`${where}: tensor "${tensor}" has a non-finite value (${value}) at flat index ${index}`);
  }
}

/** Throw NonFiniteTensorError for the first tensor holding NaN or ±Infinity. */
export function assertFiniteTensors(where: string, tensors: Iterable<[string, Float32Array | Float64Array]>): void {
  for (const [name, data] of tensors) {
    const i = firstNonFinite(data);
    if (i >= 0) throw new NonFiniteTensorError(where, name, i, data[i]);
  }
}
