package dev.chimney.link.tap;

import dev.chimney.link.PortPollable;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.testkit.Tshark;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TAP device against the real Linux kernel, inside namespaces the test makes: frames written from Java reach
 * the kernel (it answers ARP and ping) and frames the kernel sends (ARP, ICMP, IPv6 NDP/MLD) reach Java.
 * Needs root; skips with the reason otherwise, fails instead when CI=true.
 */
class TapInteropTest {
    private static final byte[] OUR_MAC = {0x02, 0x00, 0x00, 0x77, 0x00, 0x02};
    private static final byte[] KERNEL_IP = {10, 77, 0, 1};
    private static final byte[] OUR_IP = {10, 77, 0, 2};
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final Duration WAIT = Duration.ofSeconds(5);

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
    }

    private static TapDevice openUp(NetNs ns, TapOptions options) {
        TapDevice tap = TapDevice.openInNamespace(ns.name(), options);
        ns.execOk("ip", "addr", "add", "10.77.0.1/24", "dev", tap.name());
        ns.execOk("ip", "link", "set", tap.name(), "up");
        return tap;
    }

    @Test
    void kernelAnswersAnArpRequestWrittenFromJava() {
        try (NetNs ns = NetNs.create(); TapDevice tap = openUp(ns, TapOptions.named("tap0"))) {
            assertEquals("tap0", tap.name());
            assertEquals(1500, tap.mtu());
            byte[] kernelMac = tap.kernelMacAddress().toBytes();

            assertTrue(tap.transmit(MemorySegment.ofArray(arp(1, OUR_MAC, OUR_IP, new byte[6], KERNEL_IP,
                    bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))), "ARP request written");
            assertEquals(1, tap.txFrames());

            byte[] reply = awaitFrame(tap, f -> etherType(f) == ETHERTYPE_ARP && u16(f, 20) == 2);
            assertNotNull(reply, "no ARP reply from the kernel within " + WAIT);
            assertEquals(hex(OUR_MAC), hex(slice(reply, 0, 6)), "reply is addressed to our MAC");
            assertEquals(hex(kernelMac), hex(slice(reply, 6, 6)), "reply comes from the TAP's kernel MAC");
            assertEquals(hex(kernelMac), hex(slice(reply, 22, 6)), "sender hardware address = kernel MAC");
            assertEquals(hex(KERNEL_IP), hex(slice(reply, 28, 4)), "sender protocol address = 10.77.0.1");
            assertEquals(hex(OUR_MAC), hex(slice(reply, 32, 6)), "target hardware address = ours");
            assertEquals(hex(OUR_IP), hex(slice(reply, 38, 4)), "target protocol address = 10.77.0.2");
        }
    }

    /** The link watch's source (issue 7 team failover): the kernel side taking the TAP down is seen as link down. */
    @Test
    void linkUpFollowsTheKernelSideAdministrativeState() {
        try (NetNs ns = NetNs.create(); TapDevice tap = openUp(ns, TapOptions.named("tap0"))) {
            assertTrue(tap.linkUp(), "up and running once opened and set up");
            ns.execOk("ip", "link", "set", "tap0", "down");
            assertFalse(tap.linkUp(), "'ip link set tap0 down' pulls the cable");
            ns.execOk("ip", "link", "set", "tap0", "up");
            assertTrue(tap.linkUp(), "and back");
        }
    }

    @Test
    void pingFromTheKernelArpsThenEchoesThroughJava(@TempDir Path dir) {
        Interop.requireTool("ping", "iputils-ping");
        Path pcap = dir.resolve("tap.pcap");
        try (NetNs ns = NetNs.create(); TapDevice tap = openUp(ns, TapOptions.named("tap0"))) {
            byte[] kernelMac = tap.kernelMacAddress().toBytes();
            NetNs.Result ping;
            Tshark.Capture capture = Tshark.capture(ns, "tap0", pcap, Duration.ofSeconds(30));
            try (capture) {
                Process pinger = ns.spawn(Duration.ofSeconds(10), "ping", "-c1", "-W5", "10.77.0.2");

                byte[] request = awaitFrame(tap, f -> etherType(f) == ETHERTYPE_ARP && u16(f, 20) == 1);
                assertNotNull(request, "the kernel's ARP request for 10.77.0.2 did not arrive");
                assertEquals("ffffffffffff", hex(slice(request, 0, 6)), "ARP request is broadcast");
                assertEquals(hex(OUR_IP), hex(slice(request, 38, 4)), "who-has 10.77.0.2");
                assertEquals(hex(KERNEL_IP), hex(slice(request, 28, 4)), "tell 10.77.0.1");

                assertTrue(tap.transmit(MemorySegment.ofArray(arp(2, OUR_MAC, OUR_IP, kernelMac, KERNEL_IP,
                        kernelMac))), "ARP reply written");
                byte[] echo = awaitFrame(tap, f -> etherType(f) == ETHERTYPE_IPV4 && (f[23] & 0xff) == 1
                        && (f[34] & 0xff) == 8);
                assertNotNull(echo, "the ICMP echo request did not follow our ARP reply");
                assertEquals(hex(OUR_MAC), hex(slice(echo, 0, 6)), "echo uses the MAC we announced");

                assertTrue(tap.transmit(MemorySegment.ofArray(echoReply(echo))), "echo reply written");
                ping = waitFor(pinger);
            }
            assertEquals(0, ping.exitCode(), "ping through the Java side should succeed: " + ping);
            assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums on tap0");
            assertTrue(Tshark.count(pcap, "icmp.type == 0") >= 1, "our echo reply is in the capture: "
                    + Tshark.read(pcap, "frame") + capture.log());
            assertTrue(Tshark.count(pcap, "arp.opcode == 2") >= 1, "our ARP reply is in the capture");
        }
    }

    @Test
    void kernelSendsIpv6FramesWhenTheInterfaceComesUp() {
        try (NetNs ns = NetNs.create(); TapDevice tap = TapDevice.openInNamespace(ns.name(),
                TapOptions.defaults())) {
            assertTrue(tap.name().startsWith("tap"), "kernel-chosen name: " + tap.name());
            tap.setLinkUp(true); // through our own SIOCSIFFLAGS, no ip(8)
            assertTrue(ns.execOk("ip", "link", "show", tap.name()).stdout().contains("UP"), "link is up");
            byte[] v6 = awaitFrame(tap, f -> etherType(f) == ETHERTYPE_IPV6);
            assertNotNull(v6, "no IPv6 frame (MLD report / NDP DAD / router solicitation) within " + WAIT);
            assertEquals(0x33, v6[0] & 0xff, "IPv6 multicast destination MAC 33:33:..");
            assertEquals(6, (v6[14] & 0xf0) >> 4, "IP version 6");
        }
    }

    @Test
    void nameConflictsAreReportedAndMtuIsApplied() {
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapmtu").withMtu(9000))) {
            assertEquals(9000, tap.mtu());
            assertEquals(9000, tap.queryMtu());
            assertTrue(ns.execOk("ip", "link", "show", "tapmtu").stdout().contains("mtu 9000"));
            assertTrue(tap.ifIndex() > 1, "a real interface index");

            TapException taken = assertThrows(TapException.class,
                    () -> TapDevice.openInNamespace(ns.name(), TapOptions.named("lo")));
            assertEquals(TapException.Reason.INVALID_NAME, taken.reason(), taken.getMessage());
            assertTrue(taken.getMessage().contains("not taken by a non-TAP interface"), taken.getMessage());

            TapException busy = assertThrows(TapException.class,
                    () -> TapDevice.openInNamespace(ns.name(), TapOptions.named("tapmtu")));
            assertEquals(TapException.Reason.BUSY, busy.reason());
            assertTrue(busy.getMessage().startsWith("device tapmtu is busy"), busy.getMessage());

            // Oversize frames are dropped and counted, never written.
            assertTrue(!tap.transmit(MemorySegment.ofArray(new byte[9000 + 18 + 1])));
            assertEquals(1, tap.txDropsOversize());
            assertEquals(0, tap.txFrames());
        }
    }

    @Test
    void nonPersistentTapDisappearsOnClose() {
        try (NetNs ns = NetNs.create()) {
            TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapgone"));
            assertEquals(0, ns.exec("ip", "link", "show", "tapgone").exitCode());
            tap.close();
            tap.close(); // idempotent
            assertTrue(ns.exec("ip", "link", "show", "tapgone").exitCode() != 0, "interface removed with the fd");
            assertThrows(IllegalStateException.class, tap::queryMtu);
            assertTrue(!tap.transmit(MemorySegment.ofArray(new byte[60])), "transmit after close is a drop");
        }
    }

    @Test
    void persistentTapOutlivesItsDescriptorAndCanBeReattached() {
        try (NetNs ns = NetNs.create()) {
            TapDevice first = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapkeep").withPersist(true));
            first.close();
            assertEquals(0, ns.exec("ip", "link", "show", "tapkeep").exitCode(), "persistent TAP still there");
            try (TapDevice again = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapkeep"))) {
                assertEquals("tapkeep", again.name());
                assertTrue(ns.execOk("ip", "-d", "link", "show", "tapkeep").stdout().contains("persist on"),
                        "attaching without persist leaves a persistent device persistent");
            }
            ns.execOk("ip", "link", "delete", "tapkeep");
        }
    }

    @Test
    void vnetHeaderModeCarriesFramesBothWays() {
        try (NetNs ns = NetNs.create();
             TapDevice tap = openUp(ns, TapOptions.named("tapv").withVnetHeader(true))) {
            assertTrue(tap.vnetHeader());
            int[] gsoTypeSeen = {-1};
            byte[] request = arp(1, OUR_MAC, OUR_IP, new byte[6], KERNEL_IP, bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
            try (Arena arena = Arena.ofConfined()) {
                // A native frame goes out without a heap copy; the header is prepended by the device.
                MemorySegment nativeFrame = arena.allocate(request.length);
                MemorySegment.copy(request, 0, nativeFrame, ValueLayout.JAVA_BYTE, 0, request.length);
                assertTrue(tap.transmit(VirtioNetHeader.NONE, nativeFrame));
            }
            byte[] reply = awaitFrame(tap, f -> {
                boolean match = etherType(f) == ETHERTYPE_ARP && u16(f, 20) == 2;
                if (match) {
                    gsoTypeSeen[0] = VirtioNetHeader.gsoType(tap.rxVnetHeader());
                }
                return match;
            });
            assertNotNull(reply, "no ARP reply through a vnet-header TAP");
            assertEquals(hex(KERNEL_IP), hex(slice(reply, 28, 4)));
            assertEquals(VirtioNetHeader.GSO_NONE, gsoTypeSeen[0], "an ARP reply is never a GSO frame");
        }
    }

    /**
     * The kernel's queue towards the stack is set at open (SIOCSIFTXQLEN, what {@code ip link} shows as qlen) and
     * can be changed later; a length outside 1..2^20 is refused before any syscall.
     */
    @Test
    void txQueueLengthIsAppliedAtOpenAndSettable() {
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapq").withTxQueueLength(3000))) {
            assertEquals(3000, tap.txQueueLength());
            assertTrue(ns.execOk("ip", "link", "show", "tapq").stdout().contains("qlen 3000"),
                    ns.execOk("ip", "link", "show", "tapq").stdout());
            tap.setTxQueueLength(17);
            assertEquals(17, tap.txQueueLength());
            assertTrue(ns.execOk("ip", "link", "show", "tapq").stdout().contains("qlen 17"));
            assertThrows(IllegalArgumentException.class, () -> tap.setTxQueueLength(0));
        }
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapq"))) {
            String link = ns.execOk("ip", "link", "show", "tapq").stdout();
            assertTrue(link.contains("qlen " + tap.txQueueLength() + "\n") || link.endsWith("qlen "
                    + tap.txQueueLength()), "0 keeps the kernel's: " + link);
        }
        assertThrows(IllegalArgumentException.class, () -> TapOptions.named("x").withTxQueueLength(-1));
        assertThrows(IllegalArgumentException.class,
                () -> TapOptions.named("x").withTxQueueLength(TapOptions.MAX_TX_QUEUE_LENGTH + 1));
    }

    /**
     * With a queue of 8 frames and nobody reading, the kernel drops what does not fit, and {@link
     * TapDevice#kernelCounters()} reports those drops as ip(8) and sysfs in the namespace do; what the stack then
     * drains equals what the kernel says it queued.
     */
    @Test
    void kernelCountersReportFramesDroppedWhileTheStackDoesNotRead() {
        Interop.requireTool("ping", "iputils-ping");
        try (NetNs ns = NetNs.create();
             TapDevice tap = openUp(ns, TapOptions.named("tapdrop").withTxQueueLength(8))) {
            // A static neighbor, so every ping is one IPv4 frame towards the TAP (no ARP in between).
            ns.execOk("ip", "neigh", "replace", "10.77.0.2", "lladdr", "02:00:00:77:00:02", "dev", "tapdrop");
            ns.exec(Duration.ofSeconds(20), "ping", "-c", "60", "-i", "0.002", "-W", "1", "10.77.0.2");
            KernelCounters k = tap.kernelCounters();
            long sysfsDropped = Long.parseLong(ns.execOk("cat", "/sys/class/net/tapdrop/statistics/tx_dropped")
                    .stdout().trim());
            long sysfsPackets = Long.parseLong(ns.execOk("cat", "/sys/class/net/tapdrop/statistics/tx_packets")
                    .stdout().trim());
            assertEquals(sysfsDropped, k.txDropped(), "same as sysfs: " + k);
            assertEquals(sysfsPackets, k.txPackets(), "same as sysfs: " + k);
            assertEquals(0, k.txPackets(), "tun counts a frame as sent when the stack reads it: " + k);
            assertTrue(k.txDropped() >= 60 - 8 - 8, "60 pings into a queue of 8 (plus a few IPv6 frames): " + k);
            int[] drained = {0};
            while (tap.receive(f -> drained[0]++, 64) > 0) {
                // drain what the kernel kept
            }
            assertTrue(drained[0] > 0 && drained[0] <= 8, "at most the queue length was kept: " + drained[0]);
            KernelCounters later = tap.kernelCounters();
            assertEquals(tap.rxFrames(), later.txPackets(), "every frame the stack read is counted: " + later);
            assertEquals(0, later.minus(k).txDropped(), "nothing dropped after the drain");
        }
    }

    /**
     * A loop drains the TAP in batches of its poll budget: with 150 frames waiting in the kernel, one turn at the
     * default budget reads 64 of them, and one turn at {@link TapDevice#RECOMMENDED_POLL_BUDGET} reads the rest.
     */
    @Test
    void aLoopTurnReadsOneBatchOfItsPollBudget() {
        Interop.requireTool("ping", "iputils-ping");
        try (NetNs ns = NetNs.create();
             TapDevice tap = openUp(ns, TapOptions.named("tapbatch").withTxQueueLength(4096))) {
            ns.execOk("ip", "neigh", "replace", "10.77.0.2", "lladdr", "02:00:00:77:00:02", "dev", "tapbatch");
            EventLoop loop = new EventLoop("batch", Clock.system());
            int[] frames = {0};
            loop.register(PortPollable.of(tap, f -> frames[0]++));
            while (loop.runOnce() > 0) {
                // drain what the kernel sent when the link came up (IPv6 NDP / MLD)
            }
            frames[0] = 0;
            ns.exec(Duration.ofSeconds(20), "ping", "-c", "150", "-i", "0.001", "-W", "1", "10.77.0.2");
            assertEquals(EventLoop.DEFAULT_BUDGET, loop.runOnce(), "one batch of the default budget");
            loop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET);
            int second = loop.runOnce();
            assertTrue(second >= 150 - EventLoop.DEFAULT_BUDGET, "the rest in one turn: " + second);
            assertEquals(0, tap.kernelCounters().txDropped(), "nothing dropped with a queue of 4096");
            assertEquals(frames[0], EventLoop.DEFAULT_BUDGET + second);
        }
    }

    /** A loop thread sleeping in the TAP's poll(2) waiter wakes for a kernel frame and for a command. */
    @Test
    void eventLoopSleepsInPollAndWakesForFramesAndCommands() throws Exception {
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("taploop"))) {
            EventLoop loop = new EventLoop("tap-loop",
                    Clock.system());
            loop.maxIdleNs(TimeUnit.SECONDS.toNanos(10)); // only I/O or commands wake it
            loop.ioWaiter(tap.ioWaiter());
            CountDownLatch frame = new CountDownLatch(1);
            loop.register(PortPollable.of(tap, f -> frame.countDown()));
            try (LoopThread thread = LoopThread.start(loop)) {
                CountDownLatch command = new CountDownLatch(1);
                loop.execute(command::countDown);
                assertTrue(command.await(5, TimeUnit.SECONDS), "command ran");
                Thread.sleep(200);
                long idleTurns = loop.turns();
                Thread.sleep(300);
                assertTrue(loop.turns() - idleTurns <= 2, "idle loop sleeps in ppoll instead of spinning: "
                        + (loop.turns() - idleTurns) + " turns in 300 ms");
                ns.execOk("ip", "link", "set", "taploop", "up"); // the kernel starts sending IPv6 NDP/MLD
                assertTrue(frame.await(5, TimeUnit.SECONDS), "a frame woke the loop");
            }
        }
    }

    /**
     * A 14,480-byte TCP super-frame written with a GSO header (TCPV4, MSS 1448, checksum left to the kernel) on a
     * vnet TAP leaves a bridge port without offloads as ten wire-sized segments with correct checksums: the
     * kernel did the segmentation our header asked for (virtio 1.x §5.1.6.2); a vnet port with TSO receives it
     * whole with the same GSO metadata.
     */
    @Test
    void gsoSuperFrameIsSegmentedByTheKernel() {
        int mss = 1448;
        int segments = 10;
        try (NetNs ns = NetNs.create()) {
            ns.execOk("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            ns.execOk("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            ns.execOk("ip", "link", "add", "br0", "type", "bridge", "stp_state", "0");
            ns.execOk("ip", "link", "set", "br0", "up");
            try (TapDevice in = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapgso").withVnetHeader(true));
                 TapDevice out = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapplain"));
                 TapDevice superOut = TapDevice.openInNamespace(ns.name(),
                         TapOptions.named("tapgso2").withVnetHeader(true))) {
                for (String port : new String[] {"tapgso", "tapplain", "tapgso2"}) {
                    ns.execOk("ip", "link", "set", port, "master", "br0", "up");
                }

                byte[] payload = new byte[mss * segments];
                for (int i = 0; i < payload.length; i++) {
                    payload[i] = (byte) (i * 7 + (i >>> 8));
                }
                byte[] superFrame = tcpFrame(1000, 0x18, payload);
                VirtioNetHeader gso = new VirtioNetHeader(VirtioNetHeader.FLAG_NEEDS_CSUM,
                        VirtioNetHeader.GSO_TCPV4, 54, mss, 34, 16);
                assertTrue(in.transmit(gso, MemorySegment.ofArray(superFrame)), "super-frame written; drops: full="
                        + in.txDropsFull() + " oversize=" + in.txDropsOversize() + " errors=" + in.txErrors());

                List<byte[]> got = new ArrayList<>();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (got.size() < segments && System.nanoTime() < deadline) {
                    if (out.awaitReadable(deadline - System.nanoTime())) {
                        out.receive(f -> {
                            byte[] c = f.toArray(ValueLayout.JAVA_BYTE);
                            if (etherType(c) == ETHERTYPE_IPV4 && c[23] == 6) {
                                got.add(c);
                            }
                        }, 64);
                    }
                }
                assertEquals(segments, got.size(), "segments out of the plain TAP; " + ns.exec("ip", "-s", "link"));
                for (int i = 0; i < segments; i++) {
                    byte[] seg = got.get(i);
                    String at = "segment " + i;
                    assertEquals(14 + 20 + 20 + mss, seg.length, at + " length");
                    assertEquals(1000 + i * mss, (int) u32(seg, 38), at + " sequence number");
                    assertEquals(i == segments - 1 ? 0x18 : 0x10, seg[47] & 0xff, at + " flags (PSH only last)");
                    assertEquals(0, onesComplementSum(seg, 14, 20, 0), at + " IPv4 header checksum verifies");
                    assertEquals(0, onesComplementSum(seg, 34, seg.length - 34, pseudoHeaderSum(seg)),
                            at + " TCP checksum verifies");
                    assertEquals(hex(slice(payload, i * mss, mss)), hex(slice(seg, 54, mss)), at + " payload");
                }

                // A port with TSO (a vnet TAP) gets the super-frame whole, its GSO metadata in the header view.
                VirtioNetHeader[] header = {null};
                byte[] whole = awaitFrame(superOut, f -> {
                    boolean tcp = etherType(f) == ETHERTYPE_IPV4 && f[23] == 6;
                    if (tcp) {
                        header[0] = VirtioNetHeader.readFrom(superOut.rxVnetHeader());
                    }
                    return tcp;
                });
                assertNotNull(whole, "super-frame on the vnet port");
                assertEquals(superFrame.length, whole.length, "one frame, not segmented");
                assertEquals(VirtioNetHeader.GSO_TCPV4, header[0].gsoType(), "GSO type kept: " + header[0]);
                assertEquals(mss, header[0].gsoSize(), "MSS kept: " + header[0]);
                assertEquals(34, header[0].csumStart(), "checksum still partial from the TCP header: " + header[0]);
                assertEquals(16, header[0].csumOffset(), header[0].toString());
                assertEquals(hex(payload), hex(slice(whole, 54, payload.length)), "super-frame payload");
            }
        }
    }

    /**
     * Ethernet + IPv4 + TCP (no options) from 10.77.0.2:40000 to 10.77.0.9:5001, TCP checksum left partial for
     * a NEEDS_CSUM virtio-net header.
     */
    private static byte[] tcpFrame(int seq, int flags, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(54 + payload.length);
        b.put(bytes(0x02, 0, 0, 0x77, 0, 0x09)).put(OUR_MAC).putShort((short) ETHERTYPE_IPV4);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payload.length)).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                .put(OUR_IP).put(bytes(10, 77, 0, 9));
        b.putShort((short) 40000).putShort((short) 5001).putInt(seq).putInt(1).put((byte) 0x50).put((byte) flags)
                .putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        b.put(payload);
        byte[] f = b.array();
        int ipSum = onesComplementSum(f, 14, 20, 0);
        f[24] = (byte) (ipSum >>> 8);
        f[25] = (byte) ipSum;
        // NEEDS_CSUM: the field holds the folded pseudo-header sum, the device adds the rest (virtio §5.1.6.2).
        int tcpSum = pseudoHeaderSum(f);
        f[50] = (byte) (tcpSum >>> 8);
        f[51] = (byte) tcpSum;
        return f;
    }

    /** RFC 9293 §3.1 pseudo-header (source, destination, protocol, TCP length), folded to 16 bits. */
    private static int pseudoHeaderSum(byte[] f) {
        int tcpLength = u16(f, 16) - (f[14] & 0x0f) * 4;
        long sum = u16(f, 26) + u16(f, 28) + u16(f, 30) + u16(f, 32) + 6 + tcpLength;
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** RFC 1071 one's-complement sum of f[off, off+len) plus {@code initial}, complemented (0 = verifies). */
    private static int onesComplementSum(byte[] f, int off, int len, int initial) {
        long sum = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = f[off + i] & 0xff;
            int lo = i + 1 < len ? f[off + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~(int) sum & 0xffff;
    }

    private static long u32(byte[] f, int off) {
        return ((long) u16(f, off) << 16) | u16(f, off + 2);
    }

    // ---- helpers ----

    /** Receives until a frame matches (returned as a copy) or {@link #WAIT} passes (null). */
    private static byte[] awaitFrame(TapDevice tap, Predicate<byte[]> match) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        byte[][] found = {null};
        while (found[0] == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            if (tap.awaitReadable(left)) {
                tap.receive(frame -> {
                    byte[] copy = frame.toArray(ValueLayout.JAVA_BYTE);
                    if (found[0] == null && match.test(copy)) {
                        found[0] = copy;
                    }
                }, 64);
            }
        }
        return found[0];
    }

    /** An Ethernet+ARP frame (RFC 826) for IPv4 over Ethernet, padded to the 60-byte minimum. */
    private static byte[] arp(int opcode, byte[] senderMac, byte[] senderIp, byte[] targetMac, byte[] targetIp,
                              byte[] destinationMac) {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(destinationMac).put(senderMac).putShort((short) ETHERTYPE_ARP);
        b.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4)
                .putShort((short) opcode);
        b.put(senderMac).put(senderIp).put(targetMac).put(targetIp);
        return b.array();
    }

    /**
     * Turns a captured echo request into the reply (RFC 792): swap MACs and IPs (the IPv4 header checksum is a
     * sum, so swapping keeps it valid), type 8 -> 0, and adjust the ICMP checksum by the changed word (RFC 1624).
     */
    private static byte[] echoReply(byte[] request) {
        byte[] r = request.clone();
        System.arraycopy(request, 6, r, 0, 6);
        System.arraycopy(request, 0, r, 6, 6);
        System.arraycopy(request, 26, r, 30, 4);
        System.arraycopy(request, 30, r, 26, 4);
        int ihl = (request[14] & 0x0f) * 4;
        int icmp = 14 + ihl;
        r[icmp] = 0;
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); the type/code word went from 0x0800 to 0x0000.
        int sum = (~u16(request, icmp + 2) & 0xffff) + (~0x0800 & 0xffff);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        int checksum = ~sum & 0xffff;
        r[icmp + 2] = (byte) (checksum >>> 8);
        r[icmp + 3] = (byte) checksum;
        return r;
    }

    private static NetNs.Result waitFor(Process p) {
        try {
            boolean done = p.waitFor(15, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes());
            return new NetNs.Result(done ? p.exitValue() : 124, out, "");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int etherType(byte[] f) {
        return f.length >= 14 ? u16(f, 12) : -1;
    }

    private static int u16(byte[] f, int off) {
        return off + 1 < f.length ? ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff) : -1;
    }

    private static byte[] slice(byte[] f, int off, int len) {
        return Arrays.copyOfRange(f, off, off + len);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
