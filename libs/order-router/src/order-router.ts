import { type Command, encodeCommand, type Logger, type OrderCommand } from '@shardex/contracts';
import { RouterError } from './errors';
import type { ProducerPort } from './producer.port';
import type { ShardInfo, ShardMap } from './shard-map';

/** The outcome of delivering a command to one shard. */
export interface RoutingResult {
  shardId: string;
  topic: string;
  success: boolean;
  /** Why delivery failed (absent on success). */
  error?: string;
}

/** The router only warns (a shard that could not be reached). */
export type RouterLogger = Pick<Logger, 'warn'>;

export interface OrderRouterOptions {
  shardMap: ShardMap;
  producer: ProducerPort;
  logger?: RouterLogger;
}

/**
 * Routes order commands to the shard that owns their symbol (keyed by symbol, so per-symbol order holds) and
 * broadcasts lifecycle commands to every shard at once, reporting each shard's outcome separately.
 */
export class OrderRouter {
  private readonly shardMap: ShardMap;
  private readonly producer: ProducerPort;
  private readonly logger: RouterLogger | undefined;

  constructor({ shardMap, producer, logger }: OrderRouterOptions) {
    this.shardMap = shardMap;
    this.producer = producer;
    this.logger = logger;
  }

  isShardingEnabled(): boolean {
    return this.shardMap.shardingEnabled;
  }

  route(symbol: string): ShardInfo {
    return this.shardMap.route(symbol);
  }

  /** Sends an order command to its shard's input topic; rejects with ROUTER_ERR_SEND if the producer fails. */
  async sendToShard(command: OrderCommand): Promise<RoutingResult> {
    const shard = this.route(command.payload.symbol);
    const record = { topic: shard.kafkaInputTopic, ...encodeCommand(command) };
    try {
      await this.producer.send(record);
    } catch (cause) {
      throw new RouterError(
        'ROUTER_ERR_SEND',
        `${command.code} ${command.commandId} to ${shard.kafkaInputTopic}: ${errorText(cause)}`,
        {
          retriable: true,
          cause,
        },
      );
    }
    return { shardId: shard.shardId, topic: shard.kafkaInputTopic, success: true };
  }

  /**
   * Sends `command` to every shard in parallel — their preload topics by default, their input topics with
   * `usePreloadTopic: false`. Never rejects: a shard that fails is logged and reported, and the others still get it.
   */
  async broadcastToAllShards(
    command: Command,
    { usePreloadTopic = true }: { usePreloadTopic?: boolean } = {},
  ): Promise<RoutingResult[]> {
    const encoded = encodeCommand(command);
    return Promise.all(
      this.shardMap.shards.map(async (shard): Promise<RoutingResult> => {
        const topic = usePreloadTopic ? shard.kafkaPreloadTopic : shard.kafkaInputTopic;
        try {
          await this.producer.send({ topic, ...encoded });
          return { shardId: shard.shardId, topic, success: true };
        } catch (cause) {
          const error = errorText(cause);
          this.logger?.warn(
            { shardId: shard.shardId, topic, commandId: command.commandId, code: command.code, error },
            'broadcast to shard failed',
          );
          return { shardId: shard.shardId, topic, success: false, error };
        }
      }),
    );
  }

  getPreloadTopicForShard(shardId: string): string {
    return this.shardMap.shard(shardId).kafkaPreloadTopic;
  }

  getAllPreloadTopics(): string[] {
    return this.shardMap.shards.map((s) => s.kafkaPreloadTopic);
  }

  getAllInputTopics(): string[] {
    return this.shardMap.shards.map((s) => s.kafkaInputTopic);
  }

  getAllOutputTopics(): string[] {
    return this.shardMap.shards.map((s) => s.kafkaOutputTopic);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createOrderRouter(options: OrderRouterOptions): OrderRouter {
  return new OrderRouter(options);
}
