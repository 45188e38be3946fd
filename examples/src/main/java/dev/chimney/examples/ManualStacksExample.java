package dev.chimney.examples;

import dev.chimney.host.NetworkStack;
import dev.chimney.link.Impairments;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.socket.TcpServerSocket;
import dev.chimney.socket.TcpSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Host stacks put together by hand, for when {@code VirtualNetwork} does not fit (a TAP device, an offload target,
 * a topology of your own): two stacks on two loop threads joined by a {@link LoopBridge}, and two stacks sharing
 * one loop on the two ends of a lossy {@link VirtualWire}. Each exchanges a message over blocking sockets.
 *
 * <p>Run: {@code java -cp core/target/classes:examples/target/classes dev.chimney.examples.ManualStacksExample}.
 */
public final class ManualStacksExample {
    private ManualStacksExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("bridge: " + twoLoopsOnABridge());
        System.out.println("wire: " + oneLoopOnAWire());
    }

    /** Two stacks, each on a loop thread it owns, joined by a bridge between the loops. */
    static String twoLoopsOnABridge() throws IOException {
        // @start region="stack-builder"
        EventLoop loopA = new EventLoop("a", Clock.system());
        EventLoop loopB = new EventLoop("b", Clock.system());
        LoopBridge link = LoopBridge.of("link", loopA, loopB); // an Ethernet link between two loops' threads
        try (NetworkStack a = NetworkStack.builder(loopA).seed(1).iface(link.a(), "10.1.0.1/24", "fd01::1/64")
                        .build();
                NetworkStack b = NetworkStack.builder(loopB).seed(2).iface(link.b(), "10.1.0.2/24", "fd01::2/64")
                        .build()) {
            a.start(); // runs loopA on a thread this stack owns; a.close() stops it
            b.start();
            return exchange(a, b);
        }
        // @end
    }

    /** Two stacks on one loop (a wire's two ends must be driven by one thread), started once by hand. */
    static String oneLoopOnAWire() throws IOException {
        // @start region="virtual-wire"
        EventLoop loop = new EventLoop("lan", Clock.system());
        VirtualWire wire = VirtualWire.builder("wire", loop, 7) // on the loop's clock, impairments seeded by 7
                .both(Impairments.NONE.withLoss(0.01).withDelay(200_000, 50_000))
                .build();
        NetworkStack a = NetworkStack.builder(loop).name("a").seed(1).iface(wire.a(), "10.2.0.1/24").build();
        NetworkStack b = NetworkStack.builder(loop).name("b").seed(2).iface(wire.b(), "10.2.0.2/24").build();
        // Closed in reverse order: the stacks first (their ports, on the running loop), then the loop thread.
        try (LoopThread thread = LoopThread.start(loop); a; b) {
            return exchange(a, b);
        }
        // @end
    }

    /** b listens, a connects and sends a line, b answers it; returns what a heard. */
    static String exchange(NetworkStack a, NetworkStack b) throws IOException {
        try (TcpServerSocket server = b.listen(9);
                TcpSocket client = a.connect(b.socketAddress(9));
                TcpSocket accepted = server.accept()) {
            client.write("ping from ".concat(a.address().toString()).getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            String heard = new String(accepted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            accepted.write(("pong to '" + heard + "'").getBytes(StandardCharsets.UTF_8));
            accepted.shutdownOutput();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
