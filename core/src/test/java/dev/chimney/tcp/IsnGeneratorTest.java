package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.IpAddress;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
class IsnGeneratorTest {

    private static final IpAddress LOCAL4 = IpAddress.parse("10.77.0.1");
    private static final IpAddress REMOTE4 = IpAddress.parse("10.77.0.2");
    private static final IpAddress LOCAL6 = IpAddress.parse("fd77::1");
    private static final IpAddress REMOTE6 = IpAddress.parse("fd77::2");

    @Property
    void advancesWithTheFourMicrosecondClockForOneTuple(@ForAll final long seed,
            @ForAll @LongRange(min = 0, max = 1L << 50) final long startNs,
            @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) final long elapsedNs) {
        // RFC 6528 §3: M ticks every 4 µs, so for one 4-tuple the ISN advances exactly by the ticks elapsed.
        final IsnGenerator isns = new IsnGenerator(new SeededRandom(seed));
        final int first = isns.isn(LOCAL4, 40000, REMOTE4, 80, startNs);
        final int later = isns.isn(LOCAL4, 40000, REMOTE4, 80, startNs + elapsedNs);
        final long ticks = (startNs + elapsedNs) / 4000 - startNs / 4000;
        assertEquals((int) ticks, later - first, "seed " + seed);
        assertTrue(Seq.geq(later, first), "ISNs of one 4-tuple never go backwards within 2^31 ticks, seed " + seed);
    }

    @Test
    void differsAcrossFourTuplesAtTheSameInstant() {
        final IsnGenerator isns = new IsnGenerator(new SeededRandom(7).fork("isn"));
        final Set<Integer> seen = new HashSet<>();
        for (int port = 1024; port < 1024 + 2000; port++) {
            seen.add(isns.isn(LOCAL4, port, REMOTE4, 443, 1_000_000L));
        }
        // 2000 random 32-bit values: a collision is possible but very unlikely (p ~ 5e-4); require near-uniqueness.
        assertTrue(seen.size() >= 1998, "ISNs should look independent across source ports, got " + seen.size());
        assertNotEquals(isns.isn(LOCAL4, 5000, REMOTE4, 80, 0), isns.isn(REMOTE4, 5000, LOCAL4, 80, 0),
                "swapping the addresses is a different connection");
        assertNotEquals(isns.isn(LOCAL4, 5000, REMOTE4, 80, 0), isns.isn(LOCAL4, 80, REMOTE4, 5000, 0),
                "swapping the ports is a different connection");
        assertNotEquals(isns.isn(LOCAL6, 5000, REMOTE6, 80, 0), isns.isn(LOCAL6, 5001, REMOTE6, 80, 0));
    }

    @Test
    void isAKeyedFunctionThatReplaysFromItsSeed() {
        final int a = new IsnGenerator(new SeededRandom(42)).isn(LOCAL6, 1, REMOTE6, 2, 123_456_789L);
        final int b = new IsnGenerator(new SeededRandom(42)).isn(LOCAL6, 1, REMOTE6, 2, 123_456_789L);
        final int c = new IsnGenerator(new SeededRandom(43)).isn(LOCAL6, 1, REMOTE6, 2, 123_456_789L);
        assertEquals(a, b, "the same seed and clock must replay the same ISN");
        assertNotEquals(a, c, "another secret key must give another ISN");
    }

    @Test
    void matchesTheDocumentedPrfInput() {
        // F is SipHash-2-4 over local ‖ remote ‖ localPort ‖ remotePort in network byte order.
        final IsnGenerator isns = new IsnGenerator(11L, 22L);
        final byte[] input = {10, 77, 0, 1, 10, 77, 0, 2, (byte) 0x9c, 0x40, 0, 80};
        final int expected = 25 + (int) SipHash.hash(11L, 22L, input, 0, input.length);
        assertEquals(expected, isns.isn(LOCAL4, 40000, REMOTE4, 80, 25 * 4000 + 3999));
    }

    @Test
    void rejectsMixedFamiliesAndBadPorts() {
        final IsnGenerator isns = new IsnGenerator(1, 2);
        assertThrows(IllegalArgumentException.class, () -> isns.isn(LOCAL4, 1, REMOTE6, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> isns.isn(LOCAL4, 65536, REMOTE4, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> isns.isn(LOCAL4, 1, REMOTE4, -1, 0));
    }
}
