// The names of the API calls, without their schemas, so the preload and the renderer's HTTP client
// can build one method per entry without bundling zod. contract.ts checks at compile time that this
// list and the contract's keys are the same.
export const METHOD_NAMES = [
  'workspaceInfo',
  'listRuns',
  'getRun',
  'createRun',
  'updateRun',
  'deleteRun',
  'runFinals',
  'validateRunConfig',
  'cancelRun',
  'resumeRun',
  'runMetrics',
  'runLog',
  'setConcurrency',
  'demoAssets',
  'logActivations',
  'exportFigure',
  'listFigures',
  'listComparable',
  'compare',
  'agreement',
  'trajectory',
  'probe',
  'gradNorms',
  'weightDrift',
  'transplant',
  'startStudy',
  'startFinetune',
  'finetuneStatus',
  'studyStatus',
] as const;

export type MethodName = (typeof METHOD_NAMES)[number];
