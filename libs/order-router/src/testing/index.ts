import type { OutgoingRecord, ProducerPort } from '../producer.port';

/** An in-memory ProducerPort for unit tests: records what was sent; topics in `failing` reject. */
export class FakeProducer implements ProducerPort {
  readonly sent: OutgoingRecord[] = [];
  constructor(readonly failing: ReadonlySet<string> = new Set()) {}

  async send(record: OutgoingRecord): Promise<void> {
    if (this.failing.has(record.topic))
      throw new Error(`This server does not host this topic-partition (${record.topic})`);
    this.sent.push(record);
  }
}
