/** How the engine's background work makes way for the tabs' requests. */

/** The Prioritized Task Scheduling API where the runtime has it (Chromium's workers do). */
interface TaskScheduler {
  postTask(task: () => void, options: { priority: 'background' }): Promise<void>;
}

/**
 * Lets the tabs' requests waiting in the worker's queue run before the next slice of background
 * work: a background-priority task where the scheduler exists (requests, at normal priority, go
 * first), else a timer (whose nesting clamp, 4 ms, is the price).
 */
export function yieldToRequests(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: TaskScheduler }).scheduler;
  if (scheduler !== undefined)
    return scheduler.postTask(() => undefined, { priority: 'background' });
  return new Promise((resolve) => setTimeout(resolve, 0));
}
