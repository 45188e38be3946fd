package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.IoWaiter;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.testkit.Tshark;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java stack on a TAP device in namespace A against the Linux kernel: the kernel in A pings it over IPv4 and
 * IPv6, a second namespace B routed through A (forwarding on) pings it too, the stack pings back, the kernel's
 * neighbor table shows our MAC as REACHABLE, and a tshark capture of the run has no malformed packets or bad
 * checksums. Needs root; skips with the reason otherwise and fails instead when CI=true.
 */
class IpStackInteropTest {
    private static final MacAddress OUR_MAC = MacAddress.parse("02:00:00:77:01:02");
    private static final long SEED = 0x1F5L;

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("ping", "iputils-ping");
        Interop.requireTool("tshark", "tshark");
    }

    /** Waits in poll(2) on the TAP fd (10 ms slices so queued commands are picked up promptly). */
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
    void linuxPingsTheStackOverIpv4AndIpv6AndSeesItReachable(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("chy.pcap");
        try (NetNs a = NetNs.create(); NetNs b = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(a.name(), TapOptions.named("chy0"))) {
            a.execOk("ip", "addr", "add", "10.77.1.1/24", "dev", "chy0");
            a.execOk("ip", "-6", "addr", "add", "fd77:1::1/64", "dev", "chy0", "nodad");
            a.execOk("ip", "link", "set", "chy0", "up");
            NetNs.vethPair(a, "va", b, "vb");
            a.execOk("ip", "addr", "add", "10.77.2.1/24", "dev", "va");
            a.execOk("ip", "-6", "addr", "add", "fd77:2::1/64", "dev", "va", "nodad");
            b.execOk("ip", "addr", "add", "10.77.2.2/24", "dev", "vb");
            b.execOk("ip", "-6", "addr", "add", "fd77:2::2/64", "dev", "vb", "nodad");
            b.execOk("ip", "route", "add", "default", "via", "10.77.2.1");
            b.execOk("ip", "-6", "route", "add", "default", "via", "fd77:2::1");
            a.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            a.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");

            EventLoop loop = new EventLoop("interop", Clock.system());
            loop.ioWaiter(tapWaiter(tap));
            IpStack stack = new IpStack(loop, new SeededRandom(SEED), IpStackConfig.defaults());
            stack.attach(tap, InterfaceConfig.of("chy0", OUR_MAC).withIpv4("10.77.1.2/24").withIpv6("fd77:1::2/64"));
            stack.routes().addDefaultGateway(IpAddress.parse("10.77.1.1"));
            stack.routes().addDefaultGateway(IpAddress.parse("fd77:1::1"));
            List<String> pongs = new CopyOnWriteArrayList<>();
            stack.addEchoListener((from, id, seq, bytes, rtt) -> pongs.add(from + " " + seq));

            try (Tshark.Capture capture = Tshark.capture(a, "chy0", pcap, Duration.ofSeconds(60));
                 LoopThread thread = LoopThread.start(loop)) {
                // Interface up: gratuitous ARP, unsolicited NAs, MLDv2 join of the solicited-node groups.
                loop.execute(() -> stack.announce(stack.interfaces().getFirst()));
                NetNs.Result ping4 = a.exec(Duration.ofSeconds(10), "ping", "-c", "3", "-i", "0.2", "-W", "2",
                        "10.77.1.2");
                assertEquals(0, ping4.exitCode(), "kernel -> stack IPv4 ping: " + ping4);
                NetNs.Result ping6 = a.exec(Duration.ofSeconds(10), "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2",
                        "fd77:1::2");
                assertEquals(0, ping6.exitCode(), "kernel -> stack IPv6 ping: " + ping6);
                NetNs.Result big = a.exec(Duration.ofSeconds(10), "ping", "-c", "2", "-i", "0.2", "-W", "2", "-s",
                        "4000", "10.77.1.2");
                assertEquals(0, big.exitCode(), "fragmented 4000-byte ping (reassembled, reply fragmented): " + big);
                NetNs.Result routed4 = b.exec(Duration.ofSeconds(10), "ping", "-c", "2", "-i", "0.2", "-W", "2",
                        "10.77.1.2");
                assertEquals(0, routed4.exitCode(), "namespace B -> A (forwarding) -> stack, IPv4: " + routed4);
                NetNs.Result routed6 = b.exec(Duration.ofSeconds(10), "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2",
                        "fd77:1::2");
                assertEquals(0, routed6.exitCode(), "namespace B -> A -> stack, IPv6: " + routed6);

                String neigh4 = a.execOk("ip", "neigh", "show", "10.77.1.2", "dev", "chy0").stdout();
                assertTrue(neigh4.contains(OUR_MAC.toString()) && neigh4.contains("REACHABLE"),
                        "kernel ARP entry for the stack: " + neigh4);
                String neigh6 = a.execOk("ip", "-6", "neigh", "show", "fd77:1::2", "dev", "chy0").stdout();
                assertTrue(neigh6.contains(OUR_MAC.toString()) && neigh6.contains("REACHABLE"),
                        "kernel NDP entry for the stack: " + neigh6);

                // And the other way: the stack pings the kernel and namespace B (through the default gateway).
                loop.execute(() -> {
                    stack.sendEchoRequest(IpAddress.parse("10.77.1.1"), 1, 1, 56);
                    stack.sendEchoRequest(IpAddress.parse("fd77:1::1"), 1, 2, 56);
                    stack.sendEchoRequest(IpAddress.parse("10.77.2.2"), 1, 3, 56);
                    stack.sendEchoRequest(IpAddress.parse("fd77:2::2"), 1, 4, 56);
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (pongs.size() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(4, pongs.size(), "echo replies from the kernel: " + pongs + " " + capture.log());
            }
            assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums on chy0");
            assertTrue(Tshark.count(pcap, "icmp.type == 0 && ip.src == 10.77.1.2") >= 3, "our IPv4 echo replies");
            assertTrue(Tshark.count(pcap, "icmpv6.type == 129 && ipv6.src == fd77:1::2") >= 3,
                    "our IPv6 echo replies");
            assertTrue(Tshark.count(pcap, "icmpv6.type == 136 && icmpv6.nd.na.flag.s == 1") >= 1,
                    "our solicited neighbor advertisement");
            assertTrue(Tshark.count(pcap, "icmpv6.type == 143 && ipv6.src == " + Ipv6Address.linkLocal(OUR_MAC))
                    >= 1, "our MLDv2 report");
            assertTrue(Tshark.count(pcap, "arp.isgratuitous == 1") >= 1, "our gratuitous ARP");
            assertEquals(0, stack.counters().get(IpCounter.RX_DROP_BOUNDS), stack.counters().toString());
        }
    }
}
