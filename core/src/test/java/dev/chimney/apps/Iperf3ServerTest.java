package dev.chimney.apps;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TwoHosts;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Iperf3Server} against {@link ScriptedIperf3Client}, a loop-side client that speaks iperf3 3.x's protocol as
 * the real one does, on simulated networks: both directions, parallel streams, time, byte count and rate limits, the
 * results exchange (sender and receiver report the same bytes per stream), one test at a time (ACCESS_DENIED), the
 * options it refuses (SERVER_ERROR) and malformed control input (counted, closed, the server serves on).
 */
class Iperf3ServerTest {
    static final long SEED = 5201L;

    private static TwoHosts hosts() {
        return TwoHosts.simulated(SEED, TcpConfig.builder().sendBufferBytes(256 * 1024)
                .receiveBufferBytes(256 * 1024).build(), 2 * MS);
    }

    private static ScriptedIperf3Client client(TwoHosts h, char cookie, int parallel, boolean reverse, long seconds,
            long bytes, String extra) {
        return new ScriptedIperf3Client(h.a, B, Iperf3Server.PORT, ScriptedIperf3Client.cookie(cookie), parallel,
                reverse, seconds, bytes, extra).start();
    }

    /** Every stream: the server's figure in its results equals the client's own count, and both are non-zero. */
    private static void assertExactPerStream(ScriptedIperf3Client c, Iperf3Server server) {
        assertTrue(c.done, "the client reached DISPLAY_RESULTS; states " + c.states);
        assertEquals(c.parallel, c.serverBytes.size(), "a result per stream: " + c.serverResults);
        for (ScriptedIperf3Client.Stream s : c.streams) {
            assertTrue(s.bytes > 0, "stream " + s.id + " moved data");
            assertEquals(s.bytes, c.serverBytes.get(s.id), "stream " + s.id + " server vs client, seed " + SEED);
            assertNull(s.error, "stream " + s.id + " ended cleanly");
        }
        Iperf3Server.TestResult r = server.lastResult();
        assertEquals(c.reverse, r.reverse());
        assertEquals(r.serverTotal(), r.clientTotal(), "the server's record agrees");
        assertEquals(c.totalBytes(), r.serverTotal());
    }

    @Test
    void forwardFourStreamsTheServerCountsExactlyWhatTheClientSent() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        ScriptedIperf3Client c = client(h, 'a', 4, false, 2, 0, "");
        assertTrue(h.runUntil(() -> c.closed && server.openConnections() == 0, 30_000 * MS), "states " + c.states);
        assertEquals(List.of(Iperf3Server.PARAM_EXCHANGE, Iperf3Server.CREATE_STREAMS, Iperf3Server.TEST_START,
                Iperf3Server.TEST_RUNNING, Iperf3Server.EXCHANGE_RESULTS, Iperf3Server.DISPLAY_RESULTS), c.states);
        assertExactPerStream(c, server);
        assertArrayEquals(new int[] {1, 3, 4, 5}, server.lastResult().streamIds(), "iperf3's stream numbering");
        assertEquals(-1, ((java.math.BigDecimal) c.serverResults.get("sender_has_retransmits")).intValue(),
                "a receiver has no retransmission figure");
        assertEquals(c.totalBytes(), server.bytesReceived());
        assertEquals(1, server.testsCompleted());
        assertEquals(0, server.testsAborted() + server.malformedInputs() + server.connectionsReset());
        assertNull(c.controlError);
        assertFalse(server.busy());
    }

    @Test
    void reverseTwoStreamsEveryByteSentIsCountedByTheClientBeforeItsTimerEnds() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        ScriptedIperf3Client c = client(h, 'b', 2, true, 2, 0, "");
        assertTrue(h.runUntil(() -> c.closed && server.openConnections() == 0, 30_000 * MS), "states " + c.states);
        assertExactPerStream(c, server);
        for (ScriptedIperf3Client.Stream s : c.streams) {
            assertEquals(0, s.lateBytes, "nothing arrived after the client's timer");
            assertTrue(s.eof, "the server half-closed the stream after TEST_END");
        }
        assertEquals(c.totalBytes(), server.bytesSent());
        assertEquals(1, server.testsCompleted());
        assertEquals(0, server.testsAborted() + server.malformedInputs() + server.connectionsReset());
    }

    @Test
    void reverseByteCountSendsExactlyThatManyBytes() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        ScriptedIperf3Client c = client(h, 'c', 3, true, 0, 1_000_003, "");
        assertTrue(h.runUntil(() -> c.closed && server.openConnections() == 0, 30_000 * MS), "states " + c.states);
        assertExactPerStream(c, server);
        assertEquals(1_000_003, c.totalBytes());
        assertEquals(1_000_003, server.bytesSent());
    }

    @Test
    void reverseRateLimitPacesEachStream() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        // 8 Mbit/s per stream for 2 s: 2 MB each
        ScriptedIperf3Client c = client(h, 'd', 2, true, 2, 0, ",\"bandwidth\":8000000");
        assertTrue(h.runUntil(() -> c.closed && server.openConnections() == 0, 30_000 * MS), "states " + c.states);
        assertExactPerStream(c, server);
        for (ScriptedIperf3Client.Stream s : c.streams) {
            assertTrue(s.bytes > 1_800_000 && s.bytes <= 2_000_000 + 16 * 1024, "stream " + s.id + " sent "
                    + s.bytes + " bytes at 8 Mbit/s in 2 s");
        }
    }

    @Test
    void overALossyReorderingWireBothDirectionsStayExact() {
        for (boolean reverse : new boolean[] {false, true}) {
            Simulator sim = new Simulator(SEED);
            Impairments imp = Impairments.NONE.withDelay(2 * MS, MS).withLoss(0.01).withReordering(0.02, 5 * MS);
            VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(imp).build();
            TcpConfig tcp = TcpConfig.builder().sendBufferBytes(128 * 1024).receiveBufferBytes(128 * 1024).build();
            NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                    .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:00:0a"))
                            .withIpv4("10.77.52.1/24"))
                    .build();
            NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                    .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:00:0b"))
                            .withIpv4("10.77.52.2/24"))
                    .build();
            Iperf3Server server = Iperf3Server.start(SocketStack.of(b));
            ScriptedIperf3Client c = new ScriptedIperf3Client(SocketStack.of(a), IpAddress.parse("10.77.52.2"),
                    Iperf3Server.PORT, ScriptedIperf3Client.cookie('e'), 2, reverse, 3, 0, "").start();
            assertTrue(sim.runUntil(() -> c.closed && server.openConnections() == 0, sim.nowNs() + 60_000 * MS),
                    "reverse=" + reverse + " states " + c.states);
            assertExactPerStream(c, server);
            assertEquals(0, server.testsAborted() + server.malformedInputs() + server.connectionsReset());
        }
    }

    @Test
    void aSecondClientIsDeniedWhileATestRunsAndServedAfterIt() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        ScriptedIperf3Client first = client(h, 'f', 1, false, 2, 0, "");
        h.sim.runFor(500 * MS);
        ScriptedIperf3Client second = client(h, 'g', 1, false, 1, 0, "");
        assertTrue(h.runUntil(() -> second.closed, 5_000 * MS));
        assertEquals(List.of(Iperf3Server.ACCESS_DENIED), second.states, "iperf3's busy answer");
        assertEquals(1, server.deniedConnections());
        assertTrue(h.runUntil(() -> first.closed, 30_000 * MS));
        assertExactPerStream(first, server);
        ScriptedIperf3Client third = client(h, 'h', 2, true, 1, 0, "");
        assertTrue(h.runUntil(() -> third.closed && server.openConnections() == 0, 30_000 * MS));
        assertExactPerStream(third, server);
        assertEquals(2, server.testsCompleted());
    }

    @Test
    void optionsItDoesNotImplementGetServerErrorNotImplemented() {
        for (String params : new String[] {",\"udp\":true", ",\"bidirectional\":true", ",\"omit\":2"}) {
            TwoHosts h = hosts();
            Iperf3Server server = Iperf3Server.start(h.b);
            ScriptedIperf3Client c = client(h, 'i', 1, false, 1, 0, params);
            assertTrue(h.runUntil(() -> c.closed, 5_000 * MS), params);
            assertEquals(Iperf3Server.SERVER_ERROR, c.states.get(1), params + ": " + c.states);
            // the error code (IEUNIMP) and errno follow as 4-byte big-endian integers
            byte[] in = c.controlIn.toByteArray();
            assertArrayEquals(new byte[] {9, -2, 0, 0, 0, 13, 0, 0, 0, 0}, in, params);
            assertEquals(1, server.unsupportedTests(), params);
            assertFalse(server.busy(), "free for the next test");
        }
    }

    /** A raw control connection sending {@code bytes} (after connecting), collecting what comes back. */
    private static final class Raw implements TcpChannelHandler {
        final byte[] bytes;
        final ByteArrayOutputStream in = new ByteArrayOutputStream();
        boolean closed;
        IOException error;

        Raw(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void onConnected(TcpChannel ch) {
            ch.write(bytes, 0, bytes.length);
        }

        @Override
        public void onReadable(TcpChannel ch) {
            byte[] b = new byte[1024];
            int n;
            while ((n = ch.read(b, 0, b.length)) > 0) {
                in.write(b, 0, n);
            }
            if (n < 0 && !ch.isClosed()) {
                ch.close();
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException e) {
            closed = true;
            error = e;
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] json(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        return concat(new byte[] {0, 0, (byte) (b.length >>> 8), (byte) b.length}, b);
    }

    @Test
    void malformedControlInputIsCountedAndClosedAndTheServerServesOn() {
        byte[] cookie = (ScriptedIperf3Client.cookie('m') + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] noNul = ScriptedIperf3Client.cookie('n').concat("x").getBytes(StandardCharsets.US_ASCII);
        byte[][] inputs = {
            noNul, // a cookie without its NUL
            concat(cookie, new byte[] {0x7f, 0, 0, 0}), // a JSON length of 2 GiB
            concat(cookie, new byte[] {0, 0, 0, 0}), // an empty JSON
            concat(cookie, json("{\"tcp\":true,")), // JSON that does not parse
            concat(cookie, json("[1,2]")), // not an object
            concat(cookie, json("{\"tcp\":true,\"parallel\":-3}")), // a negative stream count
            concat(cookie, json("{\"tcp\":true,\"time\":\"ten\"}")), // a string for a number
            concat(cookie, json("{\"tcp\":true,\"parallel\":1}"), new byte[] {4}), // input while streams connect
            concat(cookie, json("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}")), // nested too deep
        };
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        for (int i = 0; i < inputs.length; i++) {
            Raw raw = new Raw(inputs[i]);
            h.a.connect(B, Iperf3Server.PORT, SocketOptions.defaults(), raw);
            int k = i;
            assertTrue(h.runUntil(() -> raw.closed, 20_000 * MS), "input " + k + " was not closed");
            assertEquals(i + 1, server.malformedInputs(), "input " + i + " counted");
            assertFalse(server.busy(), "input " + i + " freed the server");
        }
        // an unknown state byte while the test runs
        ScriptedIperf3Client c = client(h, 'o', 1, false, 3, 0, "");
        assertTrue(h.runUntil(() -> c.running, 5_000 * MS));
        h.loopA.execute(() -> c.control.write(new byte[] {99}, 0, 1));
        assertTrue(h.runUntil(() -> c.closed, 5_000 * MS));
        assertEquals(inputs.length + 1, server.malformedInputs());
        assertEquals(inputs.length, server.testsAborted(), "the tests of inputs 1.. and this one were aborted");
        // and a good test after all of it
        ScriptedIperf3Client good = client(h, 'p', 2, true, 1, 0, "");
        assertTrue(h.runUntil(() -> good.closed && server.openConnections() == 0, 30_000 * MS));
        assertExactPerStream(good, server);
        assertEquals(1, server.testsCompleted());
    }

    @Test
    void aClientThatVanishesMidTestFreesTheServerAndACookieThatNeverComesTimesOut() {
        TwoHosts h = hosts();
        Iperf3Server server = Iperf3Server.start(h.b);
        ScriptedIperf3Client c = client(h, 'q', 2, false, 5, 0, "");
        assertTrue(h.runUntil(() -> c.running, 5_000 * MS));
        h.sim.runFor(500 * MS);
        h.loopA.execute(() -> {
            c.control.abort();
            c.streams.forEach(s -> s.channel.abort());
        });
        assertTrue(h.runUntil(() -> !server.busy() && server.openConnections() == 0, 5_000 * MS));
        assertEquals(1, server.testsAborted());
        Raw silent = new Raw(new byte[5]); // 5 of the cookie's 37 bytes, then nothing
        h.a.connect(B, Iperf3Server.PORT, SocketOptions.defaults(), silent);
        assertTrue(h.runUntil(() -> silent.closed, 20_000 * MS), "the server gave up on the cookie");
        ScriptedIperf3Client next = client(h, 'r', 1, true, 1, 0, "");
        assertTrue(h.runUntil(() -> next.closed && server.openConnections() == 0, 30_000 * MS));
        assertExactPerStream(next, server);
    }
}
