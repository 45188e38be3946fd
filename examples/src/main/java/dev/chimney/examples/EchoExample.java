package dev.chimney.examples;

import dev.chimney.host.NetworkStack;
import dev.chimney.host.VirtualNetwork;
import dev.chimney.socket.TcpServerSocket;
import dev.chimney.socket.TcpSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Two hosts on an in-memory network, each on its own event loop thread, and an echo server and a client on
 * blocking sockets with a virtual thread per task. The client sends random bytes, reads the echo and checks it.
 *
 * <p>Run: {@code java -cp core/target/classes:examples/target/classes dev.chimney.examples.EchoExample [BYTES]}.
 */
public final class EchoExample {
    private EchoExample() {
    }

    public static void main(String[] args) throws Exception {
        int bytes = args.length > 0 ? Integer.parseInt(args[0]) : 4 << 20;
        byte[] data = new byte[bytes];
        new SplittableRandom(1).nextBytes(data);
        long startNs = System.nanoTime();
        // @start region="virtual-network"
        try (VirtualNetwork net = VirtualNetwork.realTime().hosts("server", "client").build().start();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            NetworkStack server = net.host("server"); // 10.0.0.1 and fd00::1, on its own loop thread
            NetworkStack client = net.host("client"); // 10.0.0.2 and fd00::2, on another
            try (TcpServerSocket listener = serveEcho(server, 7, threads)) {
                byte[] echoed = echo(client, server.socketAddress(7), data, threads);
                if (!Arrays.equals(data, echoed)) {
                    throw new IllegalStateException("the echo differs from what was sent");
                }
                System.out.printf("echo: %d bytes from %s to %s and back, byte-exact, in %d ms%n", echoed.length,
                        client.address(), server.address() + ":7", (System.nanoTime() - startNs) / 1_000_000);
            }
        } // close() stops every loop thread start() started
        // @end
        System.out.println("network closed");
    }

    /**
     * Listens on {@code port} and echoes each connection on a virtual thread of its own; closing the returned
     * listener ends the accept loop.
     */
    // @start region="echo-server"
    static TcpServerSocket serveEcho(NetworkStack host, int port, ExecutorService threads) throws IOException {
        TcpServerSocket listener = host.listen(port);
        threads.submit(() -> {
            while (true) {
                TcpSocket connection = listener.accept(); // throws once the listener is closed
                threads.submit(() -> {
                    try (connection) {
                        byte[] buffer = new byte[64 * 1024];
                        int n;
                        while ((n = connection.read(buffer, 0, buffer.length)) >= 0) {
                            connection.write(buffer, 0, n);
                        }
                    } // closing after the peer's FIN sends ours after the last echoed byte
                    return null;
                });
            }
        });
        return listener;
    }
    // @end

    /** Sends {@code data} to an echo server and returns what came back. */
    // @start region="echo-client"
    static byte[] echo(NetworkStack host, InetSocketAddress server, byte[] data, ExecutorService threads)
            throws IOException, InterruptedException, ExecutionException {
        try (TcpSocket socket = host.connect(server)) {
            // Write and read at once: the echo flows back while we are still sending.
            Future<?> writer = threads.submit(() -> {
                socket.getOutputStream().write(data);
                socket.shutdownOutput(); // FIN: the server reads -1 after the last byte
                return null;
            });
            byte[] echoed = socket.getInputStream().readAllBytes();
            writer.get();
            return echoed;
        }
    }
    // @end
}
