package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCounter;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.SystemClock;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host stack on a virtio-net TAP (TSO and checksum offload on) against the Linux kernel in a test-made
 * namespace, over IPv4 and IPv6: socat sends 8 MB of random bytes to the stack and receives 8 MB from it. The kernel
 * hands GSO
 * super-frames with partial checksums to the stack, which must take them whole; the stack hands super-segments to
 * the kernel, which must cut them and deliver exactly the bytes sent. Needs root and socat; skips with the reason
 * otherwise and fails instead when CI=true.
 */
class OffloadInteropTest {
    private static final int BYTES = 8 * 1024 * 1024;

    @BeforeEach
    void requirements() {
        Interop.requireRoot();
        Interop.requireTool("socat", "socat");
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void bulkBothWaysThroughTsoTapIsByteExact(boolean ipv6, @TempDir Path dir) throws Exception {
        SeededRandom random = new SeededRandom(0x750L);
        byte[] toStack = new byte[BYTES];
        byte[] fromStack = new byte[BYTES];
        random.nextBytes(toStack);
        random.nextBytes(fromStack);
        Path input = dir.resolve("to-stack.bin");
        Path output = dir.resolve("from-stack.bin");
        Files.write(input, toStack);
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("chytso").withVnetHeader(true))) {
            ns.execOk("ip", "addr", "add", "10.77.3.1/24", "dev", "chytso");
            ns.execOk("ip", "-6", "addr", "add", "fd77:3::1/64", "dev", "chytso", "nodad");
            ns.execOk("ip", "link", "set", "chytso", "up");
            EventLoop loop = new EventLoop("offload-interop", SystemClock.INSTANCE);
            loop.ioWaiter(tap.ioWaiter());
            NetworkStack host = NetworkStack.builder(loop).random(random.fork("host"))
                    .tcpConfig(TcpConfig.builder().sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20).build())
                    .iface(tap, InterfaceConfig.of("chytso", MacAddress.parse("02:77:00:00:03:02"))
                            .withIpv4("10.77.3.2/24").withIpv6("fd77:3::2/64"))
                    .build();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            CompletableFuture<CloseReason> inDone = new CompletableFuture<>();
            CompletableFuture<Long> outAcked = new CompletableFuture<>();
            host.start();
            try {
                loop.execute(() -> host.listen(5001, l -> {
                    TcpConnection c;
                    while ((c = l.accept()) != null) {
                        c.listener(new TcpConnection.Listener() {
                            private final byte[] buf = new byte[64 * 1024];

                            @Override
                            public void onReadable(TcpConnection conn) {
                                int n;
                                while ((n = conn.read(buf, 0, buf.length)) > 0) {
                                    received.write(buf, 0, n);
                                }
                                if (n < 0) {
                                    conn.close();
                                    inDone.complete(CloseReason.NORMAL);
                                }
                            }

                            @Override
                            public void onClosed(TcpConnection conn, CloseReason reason) {
                                inDone.complete(reason);
                            }
                        });
                    }
                }));
                Process sender = ns.spawn(Duration.ofSeconds(60), "socat", "-u", "FILE:" + input,
                        ipv6 ? "TCP6:[fd77:3::2]:5001" : "TCP:10.77.3.2:5001");
                assertEquals(CloseReason.NORMAL, inDone.get(60, TimeUnit.SECONDS), "Linux -> stack stream");
                assertTrue(sender.waitFor(10, TimeUnit.SECONDS));
                assertArrayEquals(toStack, received.toByteArray(), "Linux -> stack bytes differ");

                Process sink = ns.spawn(Duration.ofSeconds(60), "socat", "-u",
                        (ipv6 ? "TCP6-LISTEN" : "TCP-LISTEN") + ":5002,reuseaddr", "CREATE:" + output);
                for (int i = 0; i < 50 && !ns.exec("ss", "-ltn").stdout().contains(":5002 "); i++) {
                    Thread.sleep(100);
                }
                loop.execute(() -> host.connect(IpAddress.parse(ipv6 ? "fd77:3::1" : "10.77.3.1"), 5002,
                        new TcpConnection.Listener() {
                    private int written;

                    @Override
                    public void onConnected(TcpConnection c) {
                        onWritable(c);
                    }

                    @Override
                    public void onWritable(TcpConnection c) {
                        while (written < BYTES) {
                            int n = c.write(fromStack, written, BYTES - written);
                            if (n == 0) {
                                return;
                            }
                            written += n;
                        }
                        if (c.state().canSend()) {
                            c.shutdownOutput();
                        }
                        if (c.unacknowledgedBytes() == 0) {
                            outAcked.complete((long) written);
                        }
                    }

                    @Override
                    public void onClosed(TcpConnection c, CloseReason reason) {
                        outAcked.complete(reason == CloseReason.NORMAL ? (long) written : -1L);
                    }
                }));
                assertTrue(sink.waitFor(60, TimeUnit.SECONDS), "socat sink did not see the end of the stream");
                assertArrayEquals(fromStack, Files.readAllBytes(output), "stack -> Linux bytes differ");
            } finally {
                host.close();
            }
            long superFramesIn = host.ip().counters().get(IpCounter.SEGMENTED_FRAMES_RECEIVED);
            long offloadedOut = host.ip().counters().get(IpCounter.SEGMENTED_FRAMES_SENT);
            String counters = "rx super-frames " + superFramesIn + ", tx offloaded " + offloadedOut + ", tap tx "
                    + tap.txFrames() + " frames / " + tap.txBytes() + " B, " + host.binding();
            assertTrue(superFramesIn > 0, "the kernel handed GSO super-frames to the stack: " + counters);
            assertTrue(tap.txBytes() / Math.max(1, tap.txFrames()) > 1514,
                    "the stack sent super-frames (average frame above one MTU): " + counters);
            assertEquals(0, host.binding().counter(TcpIpCounter.DROP_BAD_CHECKSUM), counters);
        }
    }
}
