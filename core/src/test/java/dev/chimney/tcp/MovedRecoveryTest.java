package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Fast retransmit and NewReno recovery across an export/import (chimney offload or upload), without SACK: the
 * engine rebuilds {@code recover} / {@code inRecovery}, which the spec's delegated state does not carry, from
 * DupAckCount and the retransmit count, so the peer sees the segments a connection that never moved would send
 * (RFC 5681 §3.2, RFC 6582 §3.2) — not a retransmission timeout one RTO later.
 */
class MovedRecoveryTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    /** Moves {@code c} to a fresh engine whose clock reads {@code atNs}; returns the harness it now lives in. */
    private static TcpHarness move(TcpHarness from, TcpConnection c, long atNs) {
        from.advanceTo(atNs);
        TcpSnapshot s = c.export();
        c.detach();
        TcpHarness to = new TcpHarness(TcpHarness.plain().build(), atNs);
        TcpConnection.importFrom(s, to.stack, to.events);
        return to;
    }

    /** Five segments in flight at 20 ms on a fresh passive connection. */
    private static byte[] fiveInFlight(TcpHarness h, TcpConnection c) {
        h.advanceTo(20 * MS);
        byte[] data = bytes(5 * 1460, 1);
        c.write(data);
        for (int i = 0; i < 5; i++) {
            h.expect(20 * MS, ours(ACK | (i == 4 ? PSH : 0), L + i * 1460, R, 8192)
                    .payload(slice(data, i * 1460, (i + 1) * 1460)));
        }
        return data;
    }

    @Test
    void theThirdDuplicateAckAfterAMoveStillStartsFastRetransmit() {
        TcpHarness a = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = a.establishedPassive();
        byte[] data = fiveInFlight(a, c);
        a.send(30 * MS, peer(ACK, R, L));
        a.send(31 * MS, peer(ACK, R, L));
        TcpHarness b = move(a, c, 31 * MS); // DupAckCount 2 travels
        b.send(32 * MS, peer(ACK, R, L));
        b.expect(32 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1460)));
        assertEquals(1, b.stack.counter(TcpCounter.FAST_RETRANSMITS));
    }

    @Test
    void dataSentAfterAnEarlyMoveIsFastRetransmittedToo() {
        // moved right after the handshake: SND.MAX at the move was SND.UNA, which must not fence off the new data
        TcpHarness a = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = a.establishedPassive();
        TcpHarness b = move(a, c, 15 * MS);
        TcpConnection moved = b.stack.find(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, TcpHarness.REMOTE,
                TcpHarness.REMOTE_PORT);
        byte[] data = fiveInFlight(b, moved);
        for (int t = 30; t <= 32; t++) {
            b.send(t * MS, peer(ACK, R, L));
        }
        b.expect(32 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1460)));
    }

    @Test
    void aMoveInsideFastRecoveryKeepsNewRenosPartialAckRetransmission() {
        TcpHarness a = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = a.establishedPassive();
        byte[] data = fiveInFlight(a, c);
        for (int t = 30; t <= 32; t++) {
            a.send(t * MS, peer(ACK, R, L));
        }
        a.expect(32 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1460)));
        TcpHarness b = move(a, c, 35 * MS); // DupAckCount 3: in recovery
        // RFC 6582 §3.2 step 4: a partial ACK retransmits the next hole at once
        b.send(40 * MS, peer(ACK, R, L + 2 * 1460));
        b.expect(40 * MS, ours(ACK, L + 2 * 1460, R, 8192).payload(slice(data, 2 * 1460, 3 * 1460)));
        b.send(50 * MS, peer(ACK, R, L + 5 * 1460));
        b.expectNothing(5000 * MS);
    }

    @Test
    void afterATimeoutTheCarefulVariantStillGuardsTheRetransmittedWindow() {
        // RFC 6582 §3.2 step 1 / §4: after an RTO, duplicate ACKs for data sent before it start no fast retransmit
        TcpHarness a = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = a.establishedPassive();
        byte[] data = fiveInFlight(a, c);
        a.advanceTo(1020 * MS); // RTO: go-back-N of the whole window (fixed congestion window)
        int resent = a.sent.size();
        a.sent.clear();
        TcpHarness b = move(a, c, 1025 * MS); // retransmit count 1 travels
        for (int t = 1030; t <= 1032; t++) {
            b.send(t * MS, peer(ACK, R, L));
        }
        b.expectNothing(1100 * MS);
        assertEquals(0, b.stack.counter(TcpCounter.FAST_RETRANSMITS), "resent " + resent + " at the timeout");
    }
}
