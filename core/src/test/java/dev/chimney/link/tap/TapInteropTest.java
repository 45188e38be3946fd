package dev.chimney.link.tap;

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
import java.util.HexFormat;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void secondOpenOfTheSameNameIsBusyAndMtuIsApplied() {
        try (NetNs ns = NetNs.create();
             TapDevice tap = TapDevice.openInNamespace(ns.name(), TapOptions.named("tapmtu").withMtu(9000))) {
            assertEquals(9000, tap.mtu());
            assertEquals(9000, tap.queryMtu());
            assertTrue(ns.execOk("ip", "link", "show", "tapmtu").stdout().contains("mtu 9000"));
            assertTrue(tap.ifIndex() > 1, "a real interface index");

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
            boolean done = p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
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
        return java.util.Arrays.copyOfRange(f, off, off + len);
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
