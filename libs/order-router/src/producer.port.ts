/** A record to publish: what the router hands to whatever talks to Kafka (libs/kafka supplies the adapter). */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** The router's only dependency: send one record, resolving once the broker has acknowledged it. */
export interface ProducerPort {
  send(record: OutgoingRecord): Promise<void>;
}
