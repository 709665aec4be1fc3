/**
 * Progress of a sequence of named tasks (the attacks of an evaluation). The worker says when a
 * task starts, how far it is, and when it ends with the seconds it measured itself; the printer
 * opens a bar at the start and closes it at the end with that time, so every bar shows the time
 * of the task that spent it, never the next one's.
 */
import { ProgressBar, type ProgressBarOptions } from './progress-bar.js';

export type TaskEvent =
  | { phase: 'start'; task: string; total: number }
  | { phase: 'update'; task: string; done: number; total: number }
  | { phase: 'end'; task: string; total: number; seconds: number };

/** A listener that draws one progress bar per task (stderr by default). */
export function taskProgressPrinter(options: ProgressBarOptions = {}): (event: TaskEvent) => void {
  let bar: ProgressBar | null = null;
  return (event) => {
    if (event.phase === 'start' || !bar || bar.label !== event.task) {
      bar?.done();
      bar = new ProgressBar(event.task, event.total, options);
      if (event.phase === 'start') { bar.update(0); return; }
    }
    if (event.phase === 'update') {
      bar.update(event.done);
    } else {
      bar.done({}, event.seconds);
      bar = null;
    }
  };
}
