/** Stable codes for everything `tools/infra` can fail at; the CLI prints `code: message` and the log path. */
export const INFRA_ERROR_CODES = {
  INFRA_ERR_INSTALL: 'A package or the Kafka jars could not be installed (apt-get or mvn failed).',
  INFRA_ERR_START: 'A service process exited or never answered while starting; see the log path in the message.',
  INFRA_ERR_PORT_IN_USE: 'The port belongs to a process this tool did not start and that is not the expected service.',
  INFRA_ERR_LOCKED: 'Another `tools/infra` command holds the lock for this profile.',
  INFRA_ERR_CONFIG: 'Invalid option or profile.',
} as const;

export type InfraErrorCode = keyof typeof INFRA_ERROR_CODES;

export class InfraError extends Error {
  override readonly name = 'InfraError';
  constructor(
    readonly code: InfraErrorCode,
    message: string,
    readonly details: { logPath?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}
