// Probe-set reading lives with the runner (it logs activations at checkpoints); re-exported here.
export * from '../../native-runner/activations/probe-set';
