import type { Io } from '../io';

export interface CapturedIo extends Io {
  outText: string;
  errText: string;
}

/** An Io that keeps what the CLI writes. */
export function captureIo(): CapturedIo {
  const io: CapturedIo = {
    outText: '',
    errText: '',
    out: (t) => void (io.outText += t),
    err: (t) => void (io.errText += t),
  };
  return io;
}
