package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The same seed replays a whole TCP run exactly: the pcap of host A's port is identical byte for byte. */
class DeterminismTest {

    private static byte[] capture(long seed) {
        ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        TransferScenario s = TransferScenario.params().seed(seed).connections(20).maxBytes(100_000).lossy(0.02)
                .pcap(pcap).build();
        assertTrue(s.run(300 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
        return pcap.toByteArray();
    }

    @Test
    void sameSeedSamePcapBytes() {
        byte[] first = capture(42);
        byte[] second = capture(42);
        assertTrue(first.length > 2_000_000, "a real capture: " + first.length + " bytes");
        assertArrayEquals(first, second, "seed 42 must replay byte for byte");
        assertFalse(Arrays.equals(first, capture(43)), "another seed gives another run");
    }
}
