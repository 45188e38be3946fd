package dev.chimney.link.tap;

import dev.chimney.link.ffm.LibC;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What TapDevice does without root: argument checks, error messages, the virtio-net header codec. */
class TapDeviceTest {

    @Test
    void missingControlDeviceSaysToLoadTheTunModule() {
        TapException e = assertThrows(TapException.class, () -> TapDevice.open(
                TapOptions.named("chytest0").withDevicePath("/nonexistent/dev/net/tun")));
        assertEquals(TapException.Reason.NO_TUN_DEVICE, e.reason());
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/nonexistent/dev/net/tun"), e.getMessage());
        assertTrue(e.getMessage().contains("load the tun module"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
    }

    @Test
    void aPathThatIsNotTheTunDeviceIsNamed() {
        // /dev/null opens for anyone, and TUNSETIFF on it fails with ENOTTY.
        TapException e = assertThrows(TapException.class, () -> TapDevice.open(
                TapOptions.named("chytest0").withDevicePath("/dev/null")));
        assertEquals(TapException.Reason.NOT_A_TUN_DEVICE, e.reason());
        assertTrue(e.getMessage().startsWith("/dev/null is not a TUN/TAP control device"), e.getMessage());
    }

    @Test
    void permissionErrorsSayRunAsRoot() {
        TapException open = TapException.openFailed("/dev/net/tun", LibC.EACCES);
        assertEquals(TapException.Reason.PERMISSION_DENIED, open.reason());
        assertTrue(open.getMessage().endsWith("needs CAP_NET_ADMIN: run as root"), open.getMessage());
        TapException attach = TapException.attachFailed("/dev/net/tun", "tap7", LibC.EPERM);
        assertEquals(TapException.Reason.PERMISSION_DENIED, attach.reason());
        assertTrue(attach.getMessage().contains("tap7"), attach.getMessage());
        assertTrue(attach.getMessage().endsWith("needs CAP_NET_ADMIN: run as root"), attach.getMessage());
    }

    @Test
    void busyDeviceIsNamed() {
        TapException e = TapException.attachFailed("/dev/net/tun", "tap7", LibC.EBUSY);
        assertEquals(TapException.Reason.BUSY, e.reason());
        assertTrue(e.getMessage().startsWith("device tap7 is busy (held by another process)"), e.getMessage());
    }

    @Test
    void invalidNamesAreRejectedBeforeAnySyscall() {
        for (String bad : new String[] {"sixteen-chars-xx", "a/b", "a b", "a:b", ".", "..", "tab\tx", "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TapOptions.named(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid interface name"), e.getMessage());
        }
        // Valid: the longest allowed name, a kernel template, and "" (kernel chooses).
        assertEquals("fifteen-chars-x", TapOptions.named("fifteen-chars-x").name());
        assertEquals("chy%d", TapOptions.named("chy%d").name());
        assertEquals("", TapOptions.defaults().name());
    }

    @Test
    void mtuOutsideTheKernelRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> TapOptions.defaults().withMtu(67));
        assertThrows(IllegalArgumentException.class, () -> TapOptions.defaults().withMtu(65536));
        assertEquals(9000, TapOptions.defaults().withMtu(9000).mtuBytes());
        assertEquals(0, TapOptions.defaults().mtuBytes());
    }

    @Test
    void virtioNetHeaderRoundTripsInLittleEndian() {
        VirtioNetHeader h = new VirtioNetHeader(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4,
                54, 1448, 34, 16);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(VirtioNetHeader.BYTES);
            seg.fill((byte) 0xA5);
            h.writeTo(seg);
            byte[] expected = {
                0x01,             // flags: NEEDS_CSUM
                0x01,             // gso_type: TCPV4
                54, 0,            // hdr_len 54 (LE)
                (byte) 0xA8, 0x05, // gso_size 1448 = 0x05A8 (LE)
                34, 0,            // csum_start 34
                16, 0,            // csum_offset 16 (TCP checksum field)
                0, 0};            // num_buffers: unused on TAP, zeroed
            assertEquals(java.util.HexFormat.of().formatHex(expected),
                    java.util.HexFormat.of().formatHex(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            assertEquals(h, VirtioNetHeader.readFrom(seg));
        }
        assertThrows(IllegalArgumentException.class, () -> new VirtioNetHeader(0, 0, 0, 70000, 0, 0));
    }

    @Test
    void namespaceNamesCannotEscapeTheRunDirectory() {
        assertThrows(IllegalArgumentException.class, () -> TapDevice.openInNamespace("../x", TapOptions.defaults()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TapDevice.openInNamespace("chy-does-not-exist-" + ProcessHandle.current().pid(),
                        TapOptions.defaults()));
        assertTrue(e.getMessage().contains("ip netns add"), e.getMessage());
    }
}
