package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.VirtualClock;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.chimney.link.Frames.frame;
import static dev.chimney.link.Frames.seqOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcapTest {
    private static final long SEED = 0xCAFE;
    private final VirtualClock clock = new VirtualClock();

    /** A frame with the IEEE local-experimental EtherType 0x88b5, so dissectors report no malformed payload. */
    private static MemorySegment experimental(int seq, int bytes) {
        MemorySegment f = frame(seq, bytes);
        f.set(ValueLayout.JAVA_BYTE, 12, (byte) 0x88);
        f.set(ValueLayout.JAVA_BYTE, 13, (byte) 0xb5);
        return f;
    }

    @Test
    void writesTheClassicNanosecondFormatAndReadsItBack() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(out, clock)) {
            clock.advanceTo(1_000_000_123L);
            w.write(experimental(1, 60));
            clock.advanceTo(2_500_000_000L);
            w.write(experimental(2, 1514));
            assertEquals(2, w.records());
        }
        byte[] bytes = out.toByteArray();
        assertEquals(24 + 16 + 60 + 16 + 1514, bytes.length);
        assertArrayEquals(new byte[] {0x4d, 0x3c, (byte) 0xb2, (byte) 0xa1}, Arrays.copyOf(bytes, 4),
                "nanosecond magic, little-endian");
        PcapReader.Capture c = PcapReader.parse(bytes);
        assertTrue(c.nanosecond());
        assertEquals(PcapWriter.LINKTYPE_ETHERNET, c.linkType());
        assertEquals(2, c.records().size());
        assertEquals(1_000_000_123L, c.records().get(0).timestampNs());
        assertEquals(2_500_000_000L, c.records().get(1).timestampNs());
        assertArrayEquals(Frames.bytes(experimental(2, 1514)), c.records().get(1).data());
    }

    @Test
    void framesLongerThanTheSnaplenAreTruncatedButKeepTheirLength() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(out, clock, 0, 100)) {
            w.write(experimental(1, 500));
        }
        PcapReader.Record r = PcapReader.parse(out.toByteArray()).records().get(0);
        assertEquals(100, r.data().length);
        assertEquals(500, r.originalLength());
    }

    @Test
    void readerRejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(new byte[24]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(out, clock)) {
            w.write(experimental(1, 64));
        }
        byte[] truncated = Arrays.copyOf(out.toByteArray(), out.size() - 1);
        assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(truncated));
    }

    @Test
    void tapRecordsTransmittedAndReceivedFramesInOrder() {
        VirtualWire wire = VirtualWire.builder("w", clock, new SeededRandom(SEED))
                .both(Impairments.NONE.withDelay(1_000, 0)).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapTap tap = new PcapTap(wire.a(), new PcapWriter(out, clock));
        tap.transmit(experimental(1, 64));
        assertFalse(tap.transmit(experimental(99, 3000)), "refused frames are not recorded");
        wire.b().transmit(experimental(2, 64));
        clock.advanceTo(1_000);
        List<Integer> got = new ArrayList<>();
        assertEquals(1, tap.receive(f -> got.add(seqOf(f)), 10));
        assertEquals(List.of(2), got);
        tap.close();
        List<PcapReader.Record> records = PcapReader.parse(out.toByteArray()).records();
        assertEquals(2, records.size());
        assertEquals(1, seqOf(MemorySegment.ofArray(records.get(0).data())));
        assertEquals(0, records.get(0).timestampNs());
        assertEquals(2, seqOf(MemorySegment.ofArray(records.get(1).data())));
        assertEquals(1_000, records.get(1).timestampNs());
    }

    @Test
    void aFailingCaptureNeverBreaksTheLink() {
        VirtualWire wire = VirtualWire.of("w", clock, new SeededRandom(SEED));
        OutputStream broken = new OutputStream() {
            private int allowed = 24;

            @Override
            public void write(int b) throws IOException {
                if (allowed-- <= 0) {
                    throw new IOException("disk full");
                }
            }
        };
        PcapTap tap = new PcapTap(wire.a(), new PcapWriter(broken, clock, 0, 128));
        for (int i = 0; i < 5000; i++) { // more than the 64 KiB buffer, so the stream is really written
            assertTrue(tap.transmit(experimental(i, 64)));
            wire.b().receive(f -> { }, 10);
        }
        assertEquals(1, tap.writeErrors());
        assertEquals(5000, wire.aToB().counters().framesDelivered());
        tap.close();
    }

    @Test
    void sameSeedGivesByteIdenticalCapturesAndAnotherSeedDoesNot(@TempDir Path dir) throws IOException {
        Path one = dir.resolve("one.pcap");
        Path two = dir.resolve("two.pcap");
        Path other = dir.resolve("other.pcap");
        runScenario(SEED, one);
        runScenario(SEED, two);
        runScenario(SEED + 1, other);
        byte[] a = Files.readAllBytes(one);
        assertTrue(a.length > 24 + 100 * 16, "the scenario records traffic");
        assertArrayEquals(a, Files.readAllBytes(two), "same seed, same bytes (seed " + SEED + ")");
        assertFalse(Arrays.equals(a, Files.readAllBytes(other)), "another seed, another run");
    }

    /** Two simulated hosts ping-pong over an impaired wire; host A's side is captured. */
    private static void runScenario(long seed, Path file) {
        Simulator sim = new Simulator(seed);
        Impairments imp = Impairments.builder().delay(20_000, 10_000).loss(0.05).reordering(0.05, 50_000)
                .duplication(0.02).corruption(0.02).rate(100_000_000, 64 * 1024).build();
        VirtualWire wire = VirtualWire.builder("w", sim.clock(), sim.random().fork("wire")).both(imp).build();
        PcapTap a = new PcapTap(wire.a(), PcapWriter.create(file, sim.clock()));
        EventLoop hostA = sim.newLoop("a");
        EventLoop hostB = sim.newLoop("b");
        hostA.register(PortPollable.of(a, f -> { }));
        hostB.register(PortPollable.of(wire.b(), f -> wire.b().transmit(f))); // echo
        for (int i = 0; i < 200; i++) {
            int seq = i;
            hostA.timers().schedule(dev.chimney.runtime.Timer.of(() -> a.transmit(experimental(seq, 64 + seq))),
                    i * 5_000L);
        }
        sim.runFor(10_000_000);
        a.close();
    }

    @Test
    void tsharkReadsTheCaptureWithNanosecondTimestamps(@TempDir Path dir) throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        boolean haveTshark = Files.isExecutable(Path.of("/usr/bin/tshark"));
        if (!ci) {
            Assumptions.assumeTrue(haveTshark, "tshark not installed (apt install tshark); skipping the tshark "
                    + "cross-check of the pcap format");
        }
        Path file = dir.resolve("t.pcap");
        try (PcapWriter w = PcapWriter.create(file, clock)) {
            clock.advanceTo(1_700_000_000_123_456_789L);
            w.write(experimental(1, 60));
            clock.advanceBy(1);
            w.write(experimental(2, 1514));
        }
        ProcessBuilder pb = new ProcessBuilder("timeout", "60", "tshark", "-n", "-r", file.toString(), "-T", "fields",
                "-e", "frame.time_epoch", "-e", "frame.len", "-e", "eth.type", "-e", "eth.src")
                .redirectErrorStream(false);
        pb.environment().put("HOME", dir.toString()); // tshark wants a writable profile dir
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes());
        String stderr = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(90, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "tshark failed: " + stderr);
        String[] lines = stdout.strip().split("\n");
        assertEquals(2, lines.length, stdout);
        String[] first = lines[0].split("\t");
        assertTrue(first[0].startsWith("1700000000.123456789"), "nanosecond timestamp: " + first[0]);
        assertEquals("60", first[1]);
        assertEquals("0x88b5", first[2]);
        assertEquals("02:00:00:00:00:0a", first[3]);
        assertTrue(lines[1].split("\t")[0].startsWith("1700000000.123456790"), lines[1]);
        assertEquals("1514", lines[1].split("\t")[1]);
    }
}
