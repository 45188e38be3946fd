package dev.chimney.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pcap checker must see a bad checksum (otherwise "no problems" in interop tests would prove nothing). */
class TsharkTest {

    @Test
    void problemsReportsABadIpv4ChecksumAndAcceptsAGoodOne(@TempDir Path dir) throws IOException {
        Interop.requireTool("tshark", "tshark");
        byte[] good = udpFrame();
        byte[] bad = good.clone();
        bad[24] ^= 0x55; // corrupt the IPv4 header checksum

        Path goodPcap = writePcap(dir.resolve("good.pcap"), good);
        Path badPcap = writePcap(dir.resolve("bad.pcap"), bad);

        assertEquals("", Tshark.problems(goodPcap), "a valid frame is not a problem");
        assertEquals(1, Tshark.count(goodPcap, "udp.port == 7"), "the good frame is read");
        String problems = Tshark.problems(badPcap);
        assertTrue(problems.startsWith("1\t"), "frame 1 has a bad IPv4 checksum: '" + problems + "'");
    }

    /** Ethernet + IPv4 + UDP to port 7, 4 payload bytes; IPv4 checksum computed, UDP checksum 0 (none). */
    private static byte[] udpFrame() {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + 4);
        b.put(new byte[] {2, 0, 0, 0, 0, 1}).put(new byte[] {2, 0, 0, 0, 0, 2}).putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) 32).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(new byte[] {10, 77, 0, 1}).put(new byte[] {10, 77, 0, 2});
        b.putShort((short) 1234).putShort((short) 7).putShort((short) 12).putShort((short) 0);
        b.put(new byte[] {1, 2, 3, 4});
        byte[] f = b.array();
        int sum = 0;
        for (int i = ip; i < ip + 20; i += 2) {
            sum += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        f[ip + 10] = (byte) (~sum >>> 8);
        f[ip + 11] = (byte) ~sum;
        return f;
    }

    /** A classic libpcap file (LINKTYPE_ETHERNET) holding one frame. */
    private static Path writePcap(Path file, byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + frame.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        b.putInt(1).putInt(0).putInt(frame.length).putInt(frame.length).put(frame);
        return Files.write(file, b.array());
    }
}
