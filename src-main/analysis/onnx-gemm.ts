// The float64 GEMM graph of the analyses, encoded with the project's ONNX writer
// (native-runner/onnx). One node: Gemm, whose CPU kernel has a double implementation (MLAS DGEMM);
// FusedMatMul would not (no double kernel), and MatMul has no transpose flags.
import { encodeModel } from '../../native-runner/onnx/model-proto';

/**
 * Y = op(A) · op(B) in float64, op = transpose when the flag is set. Fixed shapes, so ORT plans memory
 * for exactly this product; linalg.ts caches one session per shape.
 * A: [m, k] (or [k, m] with transA), B: [k, n] (or [n, k] with transB), Y: [m, n].
 */
export function gemmModel(m: number, k: number, n: number, transA: boolean, transB: boolean): Uint8Array {
  return encodeModel({
    graph: {
      name: 'gemm_f64',
      nodes: [
        {
          opType: 'Gemm',
          name: 'gemm',
          inputs: ['A', 'B'],
          outputs: ['Y'],
          attrs: { transA: { kind: 'int', value: transA ? 1 : 0 }, transB: { kind: 'int', value: transB ? 1 : 0 } },
        },
      ],
      inputs: [
        { name: 'A', dtype: 'float64', dims: transA ? [k, m] : [m, k] },
        { name: 'B', dtype: 'float64', dims: transB ? [n, k] : [k, n] },
      ],
      outputs: [{ name: 'Y', dtype: 'float64', dims: [m, n] }],
      initializers: [],
    },
    opsets: [{ domain: '', version: 17 }],
    producer: 'encoder-workbench-analysis',
  });
}
