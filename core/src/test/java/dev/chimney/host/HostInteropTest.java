package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.IoWaiter;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpState;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.testkit.Tshark;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole host stack on a TAP device in a test-made namespace against the Linux kernel's TCP: {@code socat} in the
 * namespace sends a file to an echo service on the stack and gets every byte back, uploads to a discard service,
 * both over IPv4 and IPv6; the stack connects out to a {@code socat} listener and uploads a file byte-exact. A
 * tshark capture of the run has no malformed packets or bad checksums. Needs root; skips with the reason otherwise
 * and fails instead when CI=true.
 */
class HostInteropTest {
    private static final MacAddress OUR_MAC = MacAddress.parse("02:00:00:77:03:02");
    private static final long SEED = 0x7C9L;
    private static final int ECHO_PORT = 7;
    private static final int DISCARD_PORT = 9;

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("socat", "socat");
        Interop.requireTool("tshark", "tshark");
    }

    /** Echo (RFC 862) over a stack connection: everything read is written back; the peer's FIN is answered. */
    private static final class Echo implements TcpConnection.Listener {
        private final byte[] buf = new byte[64 * 1024];
        private int pending;
        private int pendingOff;
        private boolean eof;

        @Override
        public void onReadable(TcpConnection c) {
            pump(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            pump(c);
        }

        private void pump(TcpConnection c) {
            while (true) {
                if (pending > 0) {
                    int n = c.write(buf, pendingOff, pending);
                    pendingOff += n;
                    pending -= n;
                    if (pending > 0) {
                        return; // send buffer full: onWritable resumes
                    }
                }
                if (eof) {
                    return;
                }
                int n = c.read(buf, 0, buf.length);
                if (n < 0) {
                    eof = true;
                    c.shutdownOutput();
                    return;
                }
                if (n == 0) {
                    return;
                }
                pending = n;
                pendingOff = 0;
            }
        }
    }

    /** Discard (RFC 863), keeping what arrived per remote port so the test can compare it. */
    private static final class Discard implements TcpConnection.Listener {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done;
        private final byte[] buf = new byte[64 * 1024];

        Discard(CompletableFuture<byte[]> done) {
            this.done = done;
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.read(buf, 0, buf.length)) > 0) {
                received.write(buf, 0, n);
            }
            if (n < 0) {
                c.close();
                done.complete(received.toByteArray());
            }
        }
    }

    private static IoWaiter tapWaiter(TapDevice tap) {
        return new IoWaiter() {
            @Override
            public void await(long timeoutNs) {
                tap.awaitReadable(Math.min(timeoutNs, 10_000_000L));
            }

            @Override
            public void wakeup() {
                // the 10 ms bound above doubles as the wakeup latency
            }
        };
    }

    @Test
    void linuxTalksTcpToTheStackBothWaysByteExact(@TempDir Path dir) throws Exception {
        byte[] data = new byte[300_000];
        new SeededRandom(SEED).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        Path pcap = dir.resolve("tcp.pcap");
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("chy0"))) {
            ns.execOk("ip", "addr", "add", "10.77.3.1/24", "dev", "chy0");
            ns.execOk("ip", "-6", "addr", "add", "fd77:3::1/64", "dev", "chy0", "nodad");
            ns.execOk("ip", "link", "set", "chy0", "up");

            EventLoop loop = new EventLoop("host-interop", Clock.system());
            loop.ioWaiter(tapWaiter(tap));
            NetworkStack host = NetworkStack.builder(loop).seed(SEED)
                    .iface(tap, InterfaceConfig.of("chy0", OUR_MAC).withIpv4("10.77.3.2/24")
                            .withIpv6("fd77:3::2/64"))
                    .build();
            BlockingQueue<CompletableFuture<byte[]>> discarded = new LinkedBlockingQueue<>();
            CompletableFuture<Void> ready = new CompletableFuture<>();
            loop.execute(() -> {
                host.listen(ECHO_PORT, l -> acceptAll(l, c -> c.listener(new Echo())));
                host.listen(DISCARD_PORT, l -> acceptAll(l, c -> {
                    CompletableFuture<byte[]> f = new CompletableFuture<>();
                    discarded.add(f);
                    c.listener(new Discard(f));
                }));
                ready.complete(null);
            });
            try (Tshark.Capture capture = Tshark.capture(ns, "chy0", pcap, Duration.ofSeconds(120));
                 NetworkStack running = host) {
                running.start();
                ready.get(5, TimeUnit.SECONDS);
                // Linux -> stack echo, IPv4 and IPv6: every byte comes back.
                for (String target : new String[] {"TCP4:10.77.3.2:" + ECHO_PORT, "TCP6:[fd77:3::2]:" + ECHO_PORT}) {
                    Path out = dir.resolve("echo-" + target.charAt(3) + ".bin");
                    NetNs.Result r = ns.exec(Duration.ofSeconds(30), "socat", "-t", "10", "-T", "20",
                            "OPEN:" + in + ",rdonly!!CREATE:" + out, target);
                    assertEquals(0, r.exitCode(), "socat to the echo service " + target + ": " + r);
                    assertArrayEquals(data, Files.readAllBytes(out), "echoed bytes over " + target);
                }
                // Linux -> stack discard, IPv4 and IPv6: the stack received every byte.
                for (String target : new String[] {"TCP4:10.77.3.2:" + DISCARD_PORT,
                        "TCP6:[fd77:3::2]:" + DISCARD_PORT}) {
                    NetNs.Result r = ns.exec(Duration.ofSeconds(30), "socat", "-u", "-T", "20", "OPEN:" + in
                            + ",rdonly", target);
                    assertEquals(0, r.exitCode(), "socat to the discard service " + target + ": " + r);
                    CompletableFuture<byte[]> got = discarded.poll(10, TimeUnit.SECONDS);
                    assertNotNull(got, "discard service saw the connection over " + target);
                    assertArrayEquals(data, got.get(10, TimeUnit.SECONDS), "discarded bytes over " + target);
                }
                // Stack -> Linux: connect out to a socat listener and upload.
                Path up = dir.resolve("up.bin");
                Process listener = ns.spawn(Duration.ofSeconds(30), "socat", "-u", "TCP4-LISTEN:5555,reuseaddr",
                        "CREATE:" + up);
                waitForListener(ns, 5555);
                CompletableFuture<CloseReason> uploaded = new CompletableFuture<>();
                loop.execute(() -> host.connect(IpAddress.parse("10.77.3.1"), 5555, new Uploader(data, uploaded)));
                assertEquals(CloseReason.NORMAL, uploaded.get(30, TimeUnit.SECONDS), "upload connection closed");
                assertTrue(listener.waitFor(10, TimeUnit.SECONDS), "socat listener exited after our FIN");
                assertEquals(0, listener.exitValue(), "socat listener exit code");
                assertArrayEquals(data, Files.readAllBytes(up), "bytes the kernel received from the stack");

                CompletableFuture<String> counters = new CompletableFuture<>();
                loop.execute(() -> counters.complete(host.binding().toString() + " " + host.ip().counters()));
                String c = counters.get(5, TimeUnit.SECONDS);
                assertTrue(c.contains(TcpIpCounter.SEGMENTS_RECEIVED.name()) && !c.contains("DROP_BAD_CHECKSUM"),
                        "no kernel segment failed our checksum: " + c + " " + capture.log());
            }
            assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums on chy0");
            assertTrue(Tshark.count(pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 10.77.3.2") >= 2,
                    "our SYN-ACKs over IPv4");
            assertTrue(Tshark.count(pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ipv6.src == fd77:3::2") >= 2,
                    "our SYN-ACKs over IPv6");
        }
    }

    private static void acceptAll(TcpListener l, java.util.function.Consumer<TcpConnection> onAccept) {
        TcpConnection c;
        while ((c = l.accept()) != null) {
            onAccept.accept(c);
        }
    }

    private static void waitForListener(NetNs ns, int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ns.exec("ss", "-ltnH", "sport = :" + port).stdout().contains(":" + port)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("socat did not start listening on " + port);
    }

    /**
     * Writes {@code data}, shuts down, reads to end of stream; completes with NORMAL at the peer's FIN after
     * everything was written (not at close: as the active closer we then sit in TIME_WAIT for 2 MSL), or with the
     * reason the connection closed otherwise.
     */
    private static final class Uploader implements TcpConnection.Listener {
        private final byte[] data;
        private final CompletableFuture<CloseReason> closed;

        private int written;
        private final byte[] sink = new byte[4096];

        Uploader(byte[] data, CompletableFuture<CloseReason> closed) {
            this.data = data;
            this.closed = closed;
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (written < data.length) {
                int n = c.write(data, written, data.length - written);
                if (n == 0) {
                    return;
                }
                written += n;
            }
            if (c.state() == TcpState.ESTABLISHED || c.state() == TcpState.CLOSE_WAIT) {
                c.shutdownOutput();
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.read(sink, 0, sink.length)) > 0) {
                // socat -u sends nothing back
            }
            if (n < 0 && written == data.length) {
                closed.complete(CloseReason.NORMAL);
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed.complete(reason);
        }
    }
}
