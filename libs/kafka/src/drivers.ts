import { checkClientOptions, type KafkaClientOptions } from './clients';
import type { KafkaDriver } from './driver';
import { kafkajsAdmin } from './kafkajs/admin';
import { kafkajsConsumer } from './kafkajs/consumer';
import { kafkajsTransport } from './kafkajs/transport';

const kafkajs: KafkaDriver = { transport: kafkajsTransport, admin: kafkajsAdmin, consumer: kafkajsConsumer };

/** The driver of the client the options name (checked, with the brokers). */
export function kafkaDriver(options: KafkaClientOptions): KafkaDriver {
  const name = checkClientOptions(options);
  switch (name) {
    case 'kafkajs':
      return kafkajs;
  }
}
