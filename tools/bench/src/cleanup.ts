/**
 * Undo steps, run last-in first-out: each step that creates something (a database, topics, a process) registers how
 * to remove it right after it succeeded, so a run that fails half-way — or is interrupted — removes exactly what it
 * made. A step that fails is reported and the others still run.
 */
export class Cleanup {
  private steps: Array<{ name: string; undo: () => Promise<unknown> }> = [];

  defer(name: string, undo: () => Promise<unknown>): void {
    this.steps.push({ name, undo });
  }

  /** Runs every registered step (newest first) once; returns the names of those that failed. */
  async run(log: (line: string) => void): Promise<string[]> {
    const failed: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        failed.push(step.name);
        log(`  cleanup: ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failed;
  }
}
