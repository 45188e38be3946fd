package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Numeric oracles from the RFCs and the chimney spec: RFC 6298 estimator arithmetic, spec §6.10 timestamps. */
class TcpSpecOraclesTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    private static TcpConnection timestamped(TcpHarness h, long ackAtNs) {
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).timestamp(1000, 0));
        h.advanceTo(0);
        TcpSegment synAck = h.sent.poll().segment();
        h.send(ackAtNs, peer(ACK, R, L).timestamp(1001, synAck.tsVal()));
        return h.accepted.getFirst();
    }

    @Test
    void rttEstimatorFollowsRfc6298ScaledAsSpecCarriesIt() {
        // R-STATE-4 (returned as 8×SRTT / 4×RTTVAR)
        // RFC 6298 §2.2: first sample R → SRTT = R, RTTVAR = R/2; §2.3: RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R'|,
        // SRTT = 7/8·SRTT + 1/8·R'. Spec §2.7 carries 8×SRTT and 4×RTTVAR in ticks.
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(h, 10 * MS); // R = 10 ticks
        TcpDelegated d1 = c.export().delegated();
        assertEquals(80, d1.sRtt());
        assertEquals(20, d1.rttVar());
        h.advanceTo(20 * MS);
        c.write(bytes(10, 1));
        TcpSegment data = h.sent.poll().segment();
        h.send(50 * MS, peer(ACK, R, L + 10).timestamp(1002, data.tsVal())); // R' = 30 ticks
        TcpDelegated d2 = c.export().delegated();
        assertEquals(100, d2.sRtt(), "8 × (7/8·10 + 30/8) = 100");
        assertEquals(35, d2.rttVar(), "4 × (3/4·5 + |10 − 30|/4) = 35");
        // RTO = SRTT + max(G, 4·RTTVAR) = 12.5 + 35 = 47.5 ms → clamped up to the 200 ms floor
        assertEquals(200 * MS, c.rtoNs());
    }

    @Test
    void timestampsStayMonotonicAndMrttExactAcrossMovesWithDriftingClocks() {
        // R-TS-2, R-TS-3, R-TS-6
        // spec §6.10 example 2: the host clock drifts between offload and upload; TSvals on the wire stay monotonic
        // and every merged RTT (MRTT = now + delta − TSecr) is exact. Our "host" and "NIC" are two stacks whose
        // clocks differ by an arbitrary, changing amount.
        TcpHarness host = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(host, 5 * MS);
        host.advanceTo(100 * MS);
        c.write(bytes(10, 1));
        int ts1 = host.sent.poll().segment().tsVal();
        TcpSnapshot offload = c.export();
        c.detach();

        TcpHarness nic = new TcpHarness(TcpHarness.plain().timestamps(true).build(), 200 * MS); // NIC time 200
        TcpConnection n = TcpConnection.importFrom(offload, nic.stack, null);
        nic.send(205 * MS, peer(ACK, R, L + 10).timestamp(1002, ts1)); // 5 ticks after the host sent it
        // handshake sample 5 → 8·SRTT = 40, 4·RTTVAR = 10; a second sample of exactly 5 keeps 8·SRTT at 40 and
        // decays 4·RTTVAR to 10 − 10/4 = 8 (any other MRTT would move 8·SRTT)
        TcpDelegated afterAck = n.export().delegated();
        assertEquals(40, afterAck.sRtt(), "MRTT sample of 5 ticks");
        assertEquals(8, afterAck.rttVar());
        nic.advanceTo(250 * MS);
        n.write(bytes(10, 2));
        int ts2 = nic.sent.poll().segment().tsVal();
        assertEquals(150 - 100, ts2 - ts1, "TSval advanced by the 50 ticks that passed, not by the clock offset");
        TcpSnapshot upload = n.export();
        n.detach();

        TcpHarness host2 = new TcpHarness(TcpHarness.plain().timestamps(true).build(), 999_000 * MS); // drifted
        TcpConnection back = TcpConnection.importFrom(upload, host2.stack, null);
        host2.advanceTo(999_050 * MS);
        // spec §2.6: cached NAGLING_ENABLED travels with the connection; the host turns it off by an update
        back.updateCached(back.cached().withNagling(false), false, false);
        back.write(bytes(10, 3));
        int ts3 = host2.sent.poll().segment().tsVal();
        assertEquals(50, ts3 - ts2, "monotonic across the upload despite the drifted host clock");
    }
}
