export * from './errors';
export * from './money';
export * from './instrument';
export * from './commands';
export * from './events';
export * from './schemas';
export * from './codec';
export * from './logger';
