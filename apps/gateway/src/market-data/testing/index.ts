export { FakeEventConsumer } from './fake-event-consumer';
export { ShardEvents } from './shard-events';
