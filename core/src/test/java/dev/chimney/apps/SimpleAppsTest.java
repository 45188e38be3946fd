package dev.chimney.apps;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.StreamClient;
import dev.chimney.socket.TwoHosts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Echo (RFC 862), discard (RFC 863) and chargen (RFC 864) on a simulated host, driven by loop-side clients. */
class SimpleAppsTest {
    static final long SEED = 864L;

    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new SeededRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void echoReturnsEveryByteToManyClients() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 3 * MS);
        EchoServer echo = EchoServer.start(h.b);
        assertEquals(7, echo.port());
        List<StreamClient> clients = new ArrayList<>();
        long total = 0;
        SeededRandom r = new SeededRandom(SEED);
        for (int i = 0; i < 20; i++) {
            StreamClient c = new StreamClient(data(r.nextInt(300_000), SEED + i));
            total += c.source.length;
            clients.add(c);
            h.a.connect(B, 7, SocketOptions.defaults(), c);
        }
        assertTrue(h.runUntil(() -> clients.stream().allMatch(c -> c.closed), 600_000 * MS), "seed " + SEED);
        for (StreamClient c : clients) {
            assertArrayEquals(c.source, c.received.toByteArray(), "seed " + SEED);
            assertNull(c.error);
            assertTrue(c.eof, "the server closed after echoing everything");
        }
        assertEquals(total, echo.bytesEchoed());
        assertEquals(20, echo.connections());
        h.sim.runFor(1000 * MS);
        assertEquals(0, echo.openConnections());
    }

    @Test
    void echoStallsWhileTheClientDoesNotReadAndLosesNothing() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        EchoServer echo = EchoServer.start(h.b);
        StreamClient c = new StreamClient(data(2_000_000, 11));
        c.readingPaused = true;
        h.a.connect(B, 7, SocketOptions.defaults(), c);
        h.sim.runFor(5_000 * MS);
        long echoedWhilePaused = echo.bytesEchoed();
        // at most what fits in the buffers between the two applications: server send + client receive (+ window)
        assertTrue(echoedWhilePaused > 0 && echoedWhilePaused <= 3 * 64 * 1024,
                "echo stalled at " + echoedWhilePaused + " bytes");
        assertTrue(c.written < c.source.length, "the client was slowed by back-pressure, wrote " + c.written);
        h.sim.runFor(5_000 * MS);
        assertEquals(echoedWhilePaused, echo.bytesEchoed(), "nothing moves while the client does not read");
        h.loopA.execute(c::resume);
        assertTrue(h.runUntil(() -> c.closed, 600_000 * MS));
        assertArrayEquals(c.source, c.received.toByteArray(), "seed " + SEED);
    }

    @Test
    void discardSwallowsAndCountsEveryByte() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        DiscardServer discard = DiscardServer.start(h.b);
        List<StreamClient> clients = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < 5; i++) {
            StreamClient c = new StreamClient(data(100_000 * (i + 1), i));
            total += c.source.length;
            clients.add(c);
            h.a.connect(B, 9, SocketOptions.defaults(), c);
        }
        assertTrue(h.runUntil(() -> clients.stream().allMatch(c -> c.closed), 600_000 * MS));
        assertEquals(total, discard.bytesDiscarded());
        assertEquals(5, discard.completedConnections());
        for (StreamClient c : clients) {
            assertEquals(0, c.received.size(), "discard sends nothing back");
            assertNull(c.error);
        }
    }

    @Test
    void classicChargenPatternIsRfc864Lines() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        ChargenServer.start(h.b, null, 19, SocketOptions.defaults(), ChargenServer.Pattern.classic(), 95 * 74 * 3);
        StreamClient c = new StreamClient(new byte[0]);
        // no half-close: chargen ends a connection whose peer closed (RFC 864), which would cut the limit short as
        // soon as the response outgrows the send buffer
        c.shutdownWhenWritten = false;
        h.a.connect(B, 19, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.eof, 60_000 * MS));
        String text = c.received.toString(StandardCharsets.US_ASCII);
        String[] lines = text.split("\r\n", -1);
        assertEquals(95 * 3 + 1, lines.length, "3 periods of 95 lines and nothing after the last CR LF");
        assertEquals("", lines[95 * 3]);
        assertEquals("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh", lines[1]);
        for (int k = 0; k < 95 * 3; k++) {
            assertEquals(72, lines[k].length());
            for (int j = 0; j < 72; j++) {
                assertEquals((char) (32 + (k + j) % 95), lines[k].charAt(j), "line " + k + " col " + j);
            }
        }
    }

    @Test
    void seededChargenStreamsUntilThePeerClosesAndIsByteExact() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        ChargenServer.Pattern pattern = ChargenServer.Pattern.seeded(SEED, 10_007);
        ChargenServer chargen = ChargenServer.start(h.b, null, 1919, SocketOptions.defaults(), pattern, 0);
        StreamClient c = new StreamClient(new byte[0]);
        c.shutdownWhenWritten = false;
        h.a.connect(B, 1919, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.received.size() >= 1_000_000, 600_000 * MS));
        assertTrue(chargen.bytesSent() >= 1_000_000);
        h.loopA.execute(() -> c.channel.shutdownOutput()); // we are done: FIN; the server closes too
        assertTrue(h.runUntil(() -> c.closed, 60_000 * MS));
        assertNull(c.error, "a graceful end, no reset");
        byte[] got = c.received.toByteArray();
        for (int i = 0; i < got.length; i++) {
            if (got[i] != pattern.at(i)) {
                throw new AssertionError("byte " + i + " differs; seed " + SEED);
            }
        }
        h.sim.runFor(100 * MS);
        assertEquals(0, chargen.openConnections());
        assertEquals(chargen.bytesSent(), got.length, "every byte sent was received");
    }

}
