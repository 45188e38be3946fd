package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.runtime.SeededRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Bad input never hurts: random and near-valid hostile segments (any flags, sequence and ACK numbers near and far
 * from the windows, absurd options, oversized SACK blocks) thrown at listeners and live connections in every state,
 * interleaved with application calls and time passing. Nothing may throw, every timer keeps working, and the
 * stack's tables stay bounded.
 */
class TcpFuzzTest {

    @Property(tries = 60)
    void hostileSegmentsNeverThrow(@ForAll long seed) {
        SeededRandom r = new SeededRandom(seed);
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(r.chance(0.5)).sack(r.chance(0.5))
                .windowScaling(r.chance(0.5)).synQueueLimit(8).acceptBacklog(4).build());
        try {
            TcpConnection c = h.establishedPassive();
            long t = 20 * TcpHarness.MS;
            for (int i = 0; i < 400; i++) {
                t += r.nextInt(50) * TcpHarness.MS;
                h.send(t, hostile(r, c));
                switch (r.nextInt(6)) {
                    case 0 -> {
                        if (c.writableBytes() > 0) {
                            c.write(TcpHarness.bytes(1 + r.nextInt(3000), i));
                        }
                    }
                    case 1 -> c.read(new byte[4096], 0, 4096);
                    case 2 -> {
                        if (r.chance(0.05)) {
                            c.shutdownOutput();
                        }
                    }
                    case 3 -> {
                        if (r.chance(0.05)) {
                            c.onPathMtuDecrease(576 + r.nextInt(1000));
                        }
                    }
                    default -> { }
                }
                h.sent.clear();
            }
            h.advanceTo(t + 3_600_000 * TcpHarness.MS); // every timer must still fire without throwing
            assertTrue(h.stack.connectionCount() <= 8 + 4 + 1, "tables bounded; seed " + seed);
        } catch (RuntimeException e) {
            fail("seed " + seed + " threw " + e, e);
        }
    }

    private static TcpSegment hostile(SeededRandom r, TcpConnection c) {
        TcpSegment s = new TcpSegment();
        int port = r.chance(0.8) ? TcpHarness.REMOTE_PORT : r.nextInt(65536);
        s.sourcePort(port).destinationPort(r.chance(0.9) ? TcpHarness.LOCAL_PORT : r.nextInt(65536));
        s.flags(r.chance(0.7) ? TcpFlags.ACK | (r.chance(0.1) ? TcpFlags.FIN : 0) | (r.chance(0.05) ? TcpFlags.RST
                : 0) | (r.chance(0.05) ? TcpFlags.SYN : 0) : r.nextInt(256));
        s.seq(r.chance(0.7) ? c.rcvNxt() + r.nextInt(20_000) - 2_000 : r.nextInt());
        s.ack(r.chance(0.7) ? c.sndUna() + r.nextInt(20_000) - 2_000 : r.nextInt());
        s.window(r.nextInt(65536));
        if (r.chance(0.2)) {
            s.mss(r.nextInt(65536));
        }
        if (r.chance(0.2)) {
            s.windowScale(r.nextInt(256));
        }
        if (r.chance(0.6)) {
            s.timestamp(r.chance(0.5) ? r.nextInt() : 1000 + r.nextInt(100_000), r.nextInt());
        }
        int sacks = r.chance(0.3) ? r.nextInt(5) : 0;
        for (int i = 0; i < sacks; i++) {
            int left = r.chance(0.5) ? c.sndUna() + r.nextInt(20_000) : r.nextInt();
            s.addSack(left, left + r.nextInt(5000) - 100);
        }
        if (r.chance(0.5)) {
            s.payload(TcpHarness.bytes(r.nextInt(2000), r.nextInt(100)));
        }
        s.urgentPointer(r.chance(0.05) ? r.nextInt(65536) : 0);
        return s;
    }
}
