// Checking a run config the way the runner will: the shared schema (native-runner/protocol.ts),
// with the real model depth when the model is a Hugging Face directory.
import path from 'node:path';
import { parseRunConfig, RunConfigError, totalSteps } from '../../native-runner/protocol';
import { readModelConfig } from '../../native-runner/checkpoint/hf-config';
import type { ConfigCheck } from '../common/types';
import { absolutePaths, checkCacheDirChoice } from './queue';
import { missingPaths } from './path-checks';

export function checkRunConfig(raw: Record<string, unknown>, baseDir: string): ConfigCheck {
  const cfg = absolutePaths(raw, baseDir);
  try {
    const model = cfg.model as unknown;
    let facts;
    if (model && typeof model === 'object' && typeof (model as { hf_dir?: unknown }).hf_dir === 'string') {
      try {
        facts = readModelConfig(path.resolve((model as { hf_dir: string }).hf_dir));
      } catch (e) {
        return { ok: false, errors: [`model.hf_dir: ${(e as Error).message}`], totalSteps: null };
      }
    }
    const parsed = parseRunConfig(cfg, { model: facts });
    const missing = missingPaths(cfg);
    if (missing.length) return { ok: false, errors: missing, totalSteps: null };
    checkCacheDirChoice(parsed, baseDir);
    return { ok: true, errors: [], totalSteps: totalSteps(parsed) };
  } catch (e) {
    if (e instanceof RunConfigError) return { ok: false, errors: e.issues, totalSteps: null };
    throw e;
  }
}
