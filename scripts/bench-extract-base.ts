// `npm run bench:extract -- --shape base [--vs-torch]`: activation extraction at ModernBERT-base size
// (preset base, vocab 50368, random weights from our init): N texts (default 32) of 512 tokens, mean
// pooling of every hidden state, batch 8, 2 threads. With --vs-torch the same texts run through the
// same weights in PyTorch (scripts/torch/modernbert_step.py), interleaved round by round; prints tok/s
// of each and PyTorch ÷ engine (time ratio: > 1 means the engine is faster), and prints Σ|pooled| of
// both sides (equal when both compute the same activations).
//   options: --texts N (default 32), --batch B (default 8), --reps N (measured rounds, default 3;
//            one warm-up round first), --threads N (default 2), --json,
//            --mem-pattern-off (also time sessions with ORT's memory pattern off, interleaved)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractionSessions, extractActivations } from '../native-runner/activations/extract';
import { writeSafetensors } from '../native-runner/checkpoint/safetensors';
import { presetConfig } from '../native-runner/model/config';
import { initParameters, mulberry32 } from '../native-runner/model/init';
import { parameterSpecs } from '../native-runner/model/params';
import { NO_FREEZE } from '../native-runner/train/freeze';
import { median } from './median';
import { TorchSide, torchEnvSettings, torchUnavailable } from './torch/side';

export async function benchExtractShape(args: string[]): Promise<void> {
  const opt = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
  const shape = opt('shape', 'base');
  if (shape !== 'base') throw new Error(`--shape ${shape}: only "base" is known`);
  const json = args.includes('--json');
  const vsTorch = args.includes('--vs-torch');
  const nTexts = Number(opt('texts', '32'));
  const B = Number(opt('batch', '8'));
  const reps = Number(opt('reps', '3'));
  const threads = Number(opt('threads', '2'));
  const memPatternOff = args.includes('--mem-pattern-off');
  const T = 512;
  if (vsTorch) {
    const why = torchUnavailable();
    if (why) { console.error(`--vs-torch needs PyTorch: ${why}`); process.exit(1); }
  }

  const cfg = presetConfig('base');                        // vocab 50368, HF special ids
  const params = initParameters(cfg, 7);
  // [CLS] + 510 random ordinary tokens + [SEP]: every text exactly T tokens, so no padding on either side
  const rand = mulberry32(11);
  const texts = Array.from({ length: nTexts }, () => [cfg.cls_token_id, ...Array.from({ length: T - 2 }, () => Math.floor(rand() * 50280)), cfg.sep_token_id]);
  const tokens = nTexts * T;

  const dir = mkdtempSync(join(tmpdir(), 'extract-base-'));
  const sessions = new ExtractionSessions(cfg, threads);   // compiled once, as a run's probe logging keeps them
  const noPattern = memPatternOff ? new ExtractionSessions(cfg, threads, false) : null;
  let torch: TorchSide | null = null;
  try {
    if (vsTorch) {
      const weights = join(dir, 'base.safetensors');
      writeSafetensors(weights, new Map(parameterSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: params.get(s.name)! }])));
      torch = TorchSide.start(threads);
      await torch.init({ config: cfg, objective: 'mlm', freeze: NO_FREEZE, hyper: { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0, clipGradNorm: null }, weights });
      rmSync(weights);
    }
    const engineMs: number[] = [];
    const torchMs: number[] = [];
    const noPatternMs: number[] = [];
    let engineSum = 0;
    let torchSum = 0;
    for (let r = 0; r < reps + 1; r++) {                   // round 0 warms up (session creation, first touch)
      const t0 = performance.now();
      const sets = await extractActivations(cfg, params, texts, { poolings: ['mean'], batchSize: B, maxLength: T, intraOpThreads: threads, sessions });
      const ms = performance.now() - t0;
      engineSum = sets.reduce((a, s) => a + s.data.reduce((x, y) => x + Math.abs(y), 0), 0);
      if (noPattern) {
        const t1 = performance.now();
        await extractActivations(cfg, params, texts, { poolings: ['mean'], batchSize: B, maxLength: T, intraOpThreads: threads, sessions: noPattern });
        if (r > 0) noPatternMs.push(performance.now() - t1);
      }
      const t = torch ? await torch.extract(texts, B) : null;
      if (t) torchSum = t.checksum;
      if (r > 0) { engineMs.push(ms); if (t) torchMs.push(t.ms); }
    }
    const e = median(engineMs);
    const row: Record<string, unknown> = {
      config: `base V${cfg.vocab_size} D${cfg.hidden_size} L${cfg.num_hidden_layers} H${cfg.num_attention_heads} F${cfg.intermediate_size}`,
      texts: nTexts, tokens_per_text: T, batch: B, pooling: 'mean, all hidden states', threads, reps,
      engine_ms: Math.round(e), engine_tokens_per_s: Math.round(tokens / (e / 1000)),
      load_average: Number(loadavg()[0].toFixed(2)),
    };
    if (noPattern) row.engine_mem_pattern_off_ms = Math.round(median(noPatternMs));
    if (torch) {
      const p = median(torchMs);
      Object.assign(row, {
        torch_ms: Math.round(p), torch_tokens_per_s: Math.round(tokens / (p / 1000)),
        torch_over_engine: Number((p / e).toFixed(3)),
        pooled_sum_engine: engineSum, pooled_sum_torch: torchSum,
        torch_env: Object.entries(torchEnvSettings()).map(([k, v]) => `${k}=${v}`).join(' '),
      });
    }
    if (json) console.log(JSON.stringify(row));
    else {
      console.log(`activation extraction: ${row.config}, ${nTexts} texts × ${T} tokens, batch ${B}, mean pooling of all ${cfg.num_hidden_layers + 1} hidden states, ${threads} threads, median of ${reps} (load ${row.load_average})`);
      console.log(`  engine:  ${row.engine_ms} ms  ${row.engine_tokens_per_s} tok/s`);
      if (noPattern) console.log(`  engine, memory pattern off: ${row.engine_mem_pattern_off_ms} ms`);
      if (torch) {
        console.log(`  PyTorch: ${row.torch_ms} ms  ${row.torch_tokens_per_s} tok/s  (${row.torch_env})`);
        console.log(`  PyTorch ÷ engine ${(row.torch_over_engine as number).toFixed(2)}; Σ|pooled| ${engineSum.toPrecision(8)} / ${torchSum.toPrecision(8)}`);
      }
    }
  } finally {
    await torch?.close();
    await sessions.release();
    rmSync(dir, { recursive: true, force: true });
  }
}
