import { CodedError } from '@shardex/contracts';

/** Error codes of the write buffer. */
export const WRITE_BUFFER_ERROR_CODES = {
  WB_ERR_CONFIG: 'Invalid options (sizes, intervals, retry settings).',
  WB_ERR_INVALID_ROW: 'A row is malformed (missing id, bad version); refused at add, before it can block a batch.',
  WB_ERR_BUFFER_FULL: 'maxBufferedRows rows are waiting and the buffer is configured to refuse rather than wait.',
  WB_ERR_CLOSED: 'The buffer is closed (or closing) and takes no more rows.',
  WB_ERR_FLUSH: 'A flush failed; its rows are kept and retried. `cause` has the database error.',
  WB_ERR_FAILED:
    'The buffer stopped for good: a flush failed in a way retrying cannot mend (e.g. the writer was fenced by a newer lease epoch), or its owner abandoned it. `cause` has the reason.',
  WB_ERR_CLOSE_TIMEOUT: 'close() gave up waiting for the database; the rows it could not write are still buffered.',
} as const;

export type WriteBufferErrorCode = keyof typeof WRITE_BUFFER_ERROR_CODES;

export class WriteBufferError extends CodedError<WriteBufferErrorCode> {
  override readonly name = 'WriteBufferError';
}
