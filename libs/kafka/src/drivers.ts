import { checkClientOptions, type KafkaClientOptions } from './clients';
import type { KafkaDriver } from './driver';
import { kafkajsAdmin } from './kafkajs/admin';
import { kafkajsConsumer } from './kafkajs/consumer';
import { kafkajsTransport } from './kafkajs/transport';
import { platformaticAdmin } from './platformatic/admin';
import { platformaticConsumer } from './platformatic/consumer';
import { platformaticTransport } from './platformatic/transport';

const kafkajs: KafkaDriver = { transport: kafkajsTransport, admin: kafkajsAdmin, consumer: kafkajsConsumer };
const platformatic: KafkaDriver = {
  transport: platformaticTransport,
  admin: platformaticAdmin,
  consumer: platformaticConsumer,
};

/** The driver of the client the options name (checked, with the brokers). */
export function kafkaDriver(options: KafkaClientOptions): KafkaDriver {
  const name = checkClientOptions(options);
  switch (name) {
    case 'kafkajs':
      return kafkajs;
    case 'platformatic':
      return platformatic;
  }
}
