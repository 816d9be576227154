export { down, envLines, SERVICES, status, up } from './infra';
export type { DownResult, InfraOptions, Service, ServiceStatus, UpResult } from './infra';
export { getProfile, kafkaBrokers, mysqlUrl, MYSQL_PASSWORD, MYSQL_USER, PROFILES } from './profiles';
export type { InfraProfile } from './profiles';
export { INFRA_ERROR_CODES, InfraError } from './errors';
export type { InfraErrorCode } from './errors';
export { startEphemeralKafka, sweepEphemeralKafka } from './ephemeral-kafka';
export type { EphemeralKafka, EphemeralKafkaOptions, SweptKafka } from './ephemeral-kafka';
