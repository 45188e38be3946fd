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
 * RFC 8985 §7 tail loss probe (TcpConfig.tailLossProbe): when a flight's tail or its ACKs are lost, one probe goes
 * out after PTO = 2·SRTT (at least 10 ms) instead of waiting for the 200 ms minimum RTO, and the RTO restarts from
 * the probe. Packet-in/packet-out on a virtual clock.
 */
class TailLossProbeTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    /** Established at 10 ms; one segment is acknowledged after 20 ms, so SRTT = 20 ms (RTO stays 200 ms). */
    static TcpConnection measured(TcpHarness h, byte[] first) {
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.write(first);
        h.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(first));
        h.send(40 * MS, peer(ACK, R, L + first.length));
        return c;
    }

    @Test
    void lostTailIsProbedWithTheLastSegmentAfterTwoSrttAndTheRtoRestarts() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().tailLossProbe(true).build());
        byte[] first = bytes(1460, 9);
        TcpConnection c = measured(h, first);
        int base = L + 1460;
        byte[] data = bytes(3 * 1460, 3);
        h.advanceTo(100 * MS);
        c.write(data);
        for (int i = 0; i < 3; i++) {
            h.expect(100 * MS, ours(ACK | (i == 2 ? PSH : 0), base + i * 1460, R, 8192)
                    .payload(slice(data, i * 1460, (i + 1) * 1460)));
        }
        // Everything (or every ACK) lost. PTO = 2 · 20 ms after the last transmission: the last segment again.
        h.expectNothing(139 * MS);
        h.expect(140 * MS, ours(ACK, base + 2 * 1460, R, 8192).payload(slice(data, 2 * 1460, 3 * 1460)));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        // One probe per tail; the RTO (200 ms) now counts from the probe, and then goes back to SND.UNA.
        h.expectNothing(339 * MS);
        h.expect(340 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void probeAnsweredByAnAckLetsRecoveryRunWithoutAnRto() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().tailLossProbe(true).build());
        byte[] first = bytes(1460, 9);
        TcpConnection c = measured(h, first);
        int base = L + 1460;
        byte[] data = bytes(2 * 1460, 4);
        h.advanceTo(100 * MS);
        c.write(data);
        h.expect(100 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        h.expect(100 * MS, ours(ACK | PSH, base + 1460, R, 8192).payload(slice(data, 1460, 2 * 1460)));
        // The peer's ACK of both was lost; the probe makes it answer again, covering everything.
        h.expect(140 * MS, ours(ACK, base + 1460, R, 8192).payload(slice(data, 1460, 2 * 1460)));
        h.send(141 * MS, peer(ACK, R, base + 2 * 1460));
        assertEquals(0, c.unacknowledgedBytes());
        h.expectNothing(5000 * MS);
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS), "the tail was repaired without a timeout");
    }

    @Test
    void probeSendsNewDataWhenThePeersWindowTakesIt() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().tailLossProbe(true)
                .congestionControl(() -> new FixedWindowControl(2 * 1460)).build());
        byte[] first = bytes(1460, 9);
        TcpConnection c = measured(h, first);
        int base = L + 1460;
        byte[] data = bytes(3 * 1460, 5);
        h.advanceTo(100 * MS);
        c.write(data);
        // The congestion window holds two segments; the third waits.
        h.expect(100 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        h.expect(100 * MS, ours(ACK, base + 1460, R, 8192).payload(slice(data, 1460, 2 * 1460)));
        h.expectNothing(139 * MS);
        // RFC 8985 §7.3: the probe is the next new segment (the receive window allows it), not a retransmission.
        h.expect(140 * MS, ours(ACK | PSH, base + 2 * 1460, R, 8192).payload(slice(data, 2 * 1460, 3 * 1460)));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        assertEquals(0, h.stack.counter(TcpCounter.RETRANSMITTED_SEGMENTS));
    }

    @Test
    void withMoreUnsentDataTheProbeIsStillOneSegmentNoLargerThanTheMss() {
        // Without segmentation offload a probe of more than one SMSS would exceed the path MTU: the RACK probe sends
        // two segments as two emits; this (RFC 6675 connections') probe sends one.
        TcpHarness h = new TcpHarness(TcpHarness.plain().tailLossProbe(true)
                .congestionControl(() -> new FixedWindowControl(2 * 1460)).build());
        byte[] first = bytes(1460, 9);
        TcpConnection c = measured(h, first);
        int base = L + 1460;
        byte[] data = bytes(5 * 1460, 6);
        h.advanceTo(100 * MS);
        c.write(data);
        h.expect(100 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        h.expect(100 * MS, ours(ACK, base + 1460, R, 8192).payload(slice(data, 1460, 2 * 1460)));
        h.expect(140 * MS, ours(ACK, base + 2 * 1460, R, 8192).payload(slice(data, 2 * 1460, 3 * 1460)));
        h.expectNothing(150 * MS);
    }

    @Test
    void offByDefaultTheTailWaitsForTheRto() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        byte[] first = bytes(1460, 9);
        TcpConnection c = measured(h, first);
        int base = L + 1460;
        byte[] data = bytes(2 * 1460, 6);
        h.advanceTo(100 * MS);
        c.write(data);
        h.expect(100 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        h.expect(100 * MS, ours(ACK | PSH, base + 1460, R, 8192).payload(slice(data, 1460, 2 * 1460)));
        h.expectNothing(299 * MS);
        h.expect(300 * MS, ours(ACK, base, R, 8192).payload(slice(data, 0, 1460)));
        assertEquals(0, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
    }
}
