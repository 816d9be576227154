/** Where the CLI writes: process.stdout/stderr in main.ts, strings in tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
