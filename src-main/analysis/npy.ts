// The .npy codec lives with the runner (it writes activations at checkpoints); re-exported here.
export * from '../../native-runner/activations/npy';
