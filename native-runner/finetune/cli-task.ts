// A task named on a command line: demo:NAME (demo-tasks.ts) or a path (task.ts loadTask).
import { demoTask } from './demo-tasks';
import { loadTask, type Task } from './task';

export function taskFrom(spec: string): Task {
  if (spec.startsWith('demo:')) return demoTask(spec.slice('demo:'.length));
  return loadTask(spec);
}
