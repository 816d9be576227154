import type { OrderCommand } from '@shardex/contracts';
import type { OrderRouter } from '@shardex/order-router';
import type { CommandSender } from '../ports';

/**
 * The order router as the gateway's CommandSender. Readiness follows the sends: after a failed send the sender is
 * not ready until one succeeds again, so a load balancer stops sending orders to a gateway whose Kafka is gone.
 */
export function createCommandSender(
  router: Pick<OrderRouter, 'sendToShard' | 'route'>,
  { connected }: { connected: () => boolean },
): CommandSender & { inFlight(): number } {
  let failing = false;
  let inFlight = 0;
  return {
    async send(command: OrderCommand) {
      inFlight++;
      try {
        const { shardId } = await router.sendToShard(command);
        failing = false;
        return { shardId };
      } catch (err) {
        failing = true;
        throw err;
      } finally {
        inFlight--;
      }
    },
    shardOf: (symbol) => router.route(symbol).shardId,
    ready: () => connected() && !failing,
    inFlight: () => inFlight,
  };
}
