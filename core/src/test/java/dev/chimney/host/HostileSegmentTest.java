package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpFlags;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed and hostile TCP segments injected into the wire in the middle of running transfers: each is counted
 * under its reason and dropped (or answered with a challenge ACK, RFC 5961), and every running connection still
 * finishes byte-exact. Timestamps are off so forged segments reach the sequence checks instead of failing PAWS.
 */
class HostileSegmentTest {

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void hostileSegmentsAreCountedAndDroppedWithoutDisturbingTransfers(boolean ipv6) {
        TransferScenario s = TransferScenario.params().seed(ipv6 ? 61 : 60).connections(20).maxBytes(400_000)
                .ipv6(ipv6).tcp(t -> t.timestamps(false)).build();
        // The target: the client with the most to send, caught mid-transfer.
        StreamEndpoint client = s.clients.stream().max((x, y) -> Long.compare(x.sendBytes, y.sendBytes)).orElseThrow();
        TcpConnection cc = client.connection;
        assertTrue(s.sim.runUntil(() -> s.servers.size() == 20 && client.written > 50_000, 30 * TransferScenario.S),
                s.report());
        TcpConnection sc = s.servers.stream().filter(e -> e.connection.remotePort() == cc.localPort()).findFirst()
                .orElseThrow().connection;
        assertEquals(TcpState.ESTABLISHED, sc.state(), "target still transferring: " + client);
        IpAddress from = cc.localAddress();
        IpAddress to = cc.remoteAddress();
        int sport = cc.localPort();
        int dport = TransferScenario.PORT;
        int rcvNxt = sc.rcvNxt();
        int ack = sc.sndUna();
        Map<TcpCounter, Long> engineBefore = snapshot(s.b);
        byte[] none = new byte[0];
        byte[] junk = new byte[100];
        new SeededRandom(s.seed).nextBytes(junk);

        // Binding-level drops: never reach the engine.
        byte[] badSum = RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, ack, 5, TcpFlags.ACK, 65535, none,
                junk), from, to);
        badSum[16] ^= 0x5A; // RFC 9293 §3.1: a bad checksum must be discarded (else these bytes would corrupt data)
        inject(s, from, to, badSum);
        inject(s, from, to, new byte[10]); // shorter than a TCP header
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, ack, 3, TcpFlags.ACK, 65535,
                none, none), from, to)); // data offset 3 < 5
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, ack, 15, TcpFlags.ACK, 65535,
                none, none), from, to)); // data offset 15 beyond the segment
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, ack, 6, TcpFlags.ACK, 65535,
                new byte[] {2, 0, 0, 0}, none), from, to)); // MSS option with length 0
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, ack, 5,
                TcpFlags.SYN | TcpFlags.RST, 65535, none, none), from, to));
        // Random bytes with a valid checksum (so they get past it): whatever they parse as, nothing breaks.
        SeededRandom r = new SeededRandom(s.seed ^ 0xBAD);
        for (int i = 0; i < 200; i++) {
            byte[] blob = new byte[r.nextInt(80)];
            r.nextBytes(blob);
            if (blob.length >= 18) {
                blob[2] = (byte) 0xEE; // never the server port 5001, never a live 4-tuple
                RawFrames.withChecksum(blob, from, to);
            }
            inject(s, from, to, blob);
        }
        // Engine-level: aimed at the live connection with wrong sequence or acknowledgment numbers.
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt + 1, 0, 5, TcpFlags.RST, 0,
                none, none), from, to)); // in-window, not exact: RFC 5961 §3.2 challenge ACK
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt + 0x4000_0000, 0, 5,
                TcpFlags.RST, 0, none, none), from, to)); // out of window: dropped
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt + 5, 0, 5, TcpFlags.SYN,
                65535, none, none), from, to)); // SYN on a synchronized connection: RFC 5961 §4 challenge ACK
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt, sc.sndNxt() + 0x1000_0000, 5,
                TcpFlags.ACK, 65535, none, none), from, to)); // acknowledges data never sent
        inject(s, from, to, RawFrames.withChecksum(RawFrames.tcp(sport, dport, rcvNxt + 0x2000_0000, ack, 5,
                TcpFlags.ACK, 65535, none, junk), from, to)); // data far outside the receive window

        s.sim.runFor(50 * TransferScenario.MS);
        // Exactly one: random blobs are either shorter than a header or carry a valid checksum.
        assertEquals(1, s.b.binding().counter(TcpIpCounter.DROP_BAD_CHECKSUM), s.report());
        assertTrue(s.b.binding().counter(TcpIpCounter.DROP_TRUNCATED) >= 2, s.report());
        assertTrue(s.b.binding().counter(TcpIpCounter.DROP_BAD_DATA_OFFSET) >= 1, s.report());
        assertTrue(s.b.binding().counter(TcpIpCounter.DROP_BAD_OPTIONS) >= 1, s.report());
        assertTrue(s.b.binding().counter(TcpIpCounter.DROP_BAD_FLAGS) >= 1, s.report());
        Map<TcpCounter, Long> engine = delta(engineBefore, snapshot(s.b));
        assertTrue(engine.get(TcpCounter.CHALLENGE_ACKS) >= 2, "challenge ACKs for RST and SYN: " + engine);
        assertTrue(engine.get(TcpCounter.DROP_UNACCEPTABLE_SEQ) >= 2, "out-of-window RST and data: " + engine);
        assertTrue(engine.get(TcpCounter.DROP_BAD_ACK) >= 1, "ACK of unsent data: " + engine);
        assertEquals(0, engine.get(TcpCounter.RESETS_RECEIVED), "no forged RST closed anything: " + engine);

        assertTrue(s.run(120 * TransferScenario.S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), "the running transfers must finish byte-exact: " + s.report());
    }

    private static void inject(TransferScenario s, IpAddress from, IpAddress to, byte[] tcp) {
        MemorySegment frame = RawFrames.ip(TransferScenario.MAC_A, TransferScenario.MAC_B, from, to, IpProtocol.TCP,
                tcp);
        assertTrue(s.wire.aToB().inject(frame, s.sim.nowNs() + 1000), "inject refused");
    }

    private static Map<TcpCounter, Long> snapshot(NetworkStack h) {
        Map<TcpCounter, Long> m = new EnumMap<>(TcpCounter.class);
        for (TcpCounter c : TcpCounter.values()) {
            m.put(c, h.tcp().counter(c));
        }
        return m;
    }

    private static Map<TcpCounter, Long> delta(Map<TcpCounter, Long> before, Map<TcpCounter, Long> after) {
        Map<TcpCounter, Long> m = new EnumMap<>(TcpCounter.class);
        for (TcpCounter c : TcpCounter.values()) {
            m.put(c, after.get(c) - before.get(c));
        }
        return m;
    }
}
