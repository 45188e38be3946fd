package dev.chimney.cli.control;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.LoopBridge;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.SystemClock;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A host with the soft offload target as its NIC and a peer, each on its own loop thread as under {@code chimney
 * run}: host 10.77.0.1 (its target owning the link) and peer 10.77.0.2 across a {@link LoopBridge}. The host opens
 * {@code connections} connections to the peer, which streams a known byte pattern down each at a modest rate
 * (every {@link #CHUNK} bytes per {@link #CHUNK_INTERVAL_NS}); the host reads and checks every byte, so a test can
 * move connections back and forth and then ask whether a byte was lost, duplicated or reordered.
 */
final class OffloadRig implements AutoCloseable {
    static final int PORT = 5001;
    static final int CHUNK = 16 * 1024;
    static final long CHUNK_INTERVAL_NS = 20_000_000L;
    static final MacAddress MAC_HOST = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_PEER = MacAddress.parse("02:77:00:00:00:0b");
    static final Ipv4Address PEER = Ipv4Address.parse("10.77.0.2");

    final EventLoop hostLoop = new EventLoop("host", SystemClock.INSTANCE);
    final EventLoop nicLoop = new EventLoop("nic", SystemClock.INSTANCE);
    final EventLoop peerLoop = new EventLoop("peer", SystemClock.INSTANCE);
    final SoftOffloadTarget target;
    final NetworkStack host;
    final NetworkStack peer;
    private final List<LoopThread> threads = new ArrayList<>();

    /** Host side of each connection: what arrived and whether it matched the pattern (owned by the host loop). */
    static final class Reader implements TcpConnection.Listener {
        TcpConnection connection;
        long received;
        long mismatches;
        boolean connected;

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onReadable(TcpConnection c) {
            byte[] buf = new byte[32 * 1024];
            int n;
            while ((n = c.read(buf, 0, buf.length)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != pattern(received + i)) {
                        mismatches++;
                    }
                }
                received += n;
            }
        }
    }

    /** Peer side: writes the pattern on a timer; owned by the peer loop. */
    private final class Writer {
        final TcpConnection connection;
        long sent;
        final byte[] chunk = new byte[CHUNK];
        final Timer timer = Timer.of(this::tick);

        Writer(TcpConnection c) {
            this.connection = c;
        }

        void tick() {
            if (!streaming || connection.state() != TcpState.ESTABLISHED && connection.state() != TcpState.CLOSE_WAIT) {
                return;
            }
            for (int i = 0; i < CHUNK; i++) {
                chunk[i] = pattern(sent + i);
            }
            sent += connection.write(chunk, 0, CHUNK);
            peerLoop.timers().schedule(timer, peerLoop.nowNs() + CHUNK_INTERVAL_NS);
        }
    }

    final List<Reader> readers = new ArrayList<>();
    private final List<Writer> writers = new ArrayList<>();
    private volatile boolean streaming = true;

    static byte pattern(long offset) {
        return (byte) (offset * 31 + (offset >>> 9) + 7);
    }

    OffloadRig(OffloadPolicy policy) {
        LoopBridge wire = LoopBridge.of("wire", nicLoop, peerLoop);
        target = SoftOffloadTarget.builder(nicLoop, wire.a()).name("soft0").hostLoop(hostLoop).mac(MAC_HOST)
                .random(new SeededRandom(7)).build();
        host = NetworkStack.builder(hostLoop).name("host").seed(1)
                .iface(target.hostPort(), InterfaceConfig.of("h0", MAC_HOST).withIpv4("10.77.0.1/24"))
                .offload(target, policy).build();
        peer = NetworkStack.builder(peerLoop).name("peer").seed(2)
                .iface(wire.b(), InterfaceConfig.of("p0", MAC_PEER).withIpv4("10.77.0.2/24")).build();
        threads.add(LoopThread.start(hostLoop));
        threads.add(LoopThread.start(nicLoop));
        threads.add(LoopThread.start(peerLoop));
        peer.callOnLoop(() -> peer.listen(PORT, (TcpListener l) -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                Writer w = new Writer(c);
                writers.add(w);
                w.tick();
            }
        }));
    }

    /** Opens {@code n} connections and waits until they are established (and offloaded, if {@code offloaded}). */
    void connect(int n, boolean offloaded) {
        host.callOnLoop(() -> {
            for (int i = 0; i < n; i++) {
                Reader r = new Reader();
                r.connection = host.connect(PEER, PORT, r);
                readers.add(r);
            }
            return null;
        });
        await("connections established", () -> host.callOnLoop(() -> readers.stream().allMatch(r -> r.connected)));
        if (offloaded) {
            await("connections offloaded", () -> host.callOnLoop(() -> readers.stream()
                    .allMatch(r -> host.offload().state(r.connection) == OffloadState.OFFLOADED)));
        }
    }

    /** Stops the peer's writers and waits until the host has read everything they wrote. */
    void stopStreaming() {
        streaming = false;
        await("everything written arrived", () -> {
            long sent = peer.callOnLoop(() -> writers.stream().mapToLong(w -> w.sent).sum());
            long received = host.callOnLoop(() -> readers.stream().mapToLong(r -> r.received).sum());
            return received >= sent;
        });
    }

    long mismatches() {
        return host.callOnLoop(() -> readers.stream().mapToLong(r -> r.mismatches).sum());
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    @Override
    public void close() {
        streaming = false;
        for (LoopThread t : threads.reversed()) {
            t.close();
        }
    }
}
