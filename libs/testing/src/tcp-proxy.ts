import net from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a real server, for fault tests: `cut()` drops every connection and refuses
 * new ones (the server "goes away"), `restore()` brings it back. The server itself is untouched, so other tests
 * sharing it are not disturbed.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections relayed so far. */
  readonly connections: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let port = 0;
  let server: net.Server | null = null;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        connections++;
        const upstream = net.connect(target);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port }, () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      const s = server;
      server = null;
      s.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get connections() {
      return connections;
    },
    cut: stop,
    // Same port again, so clients configured with it reconnect on their own.
    restore: () => (server ? Promise.resolve() : listen()),
    close: stop,
  };
}
