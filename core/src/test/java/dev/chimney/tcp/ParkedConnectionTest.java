package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.FIN;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpFlags.RST;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.LOCAL_PORT;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.REMOTE_PORT;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host side of the chimney's logical switch (spec §1.1) on one engine, scripted: {@link TcpConnection#park}
 * stops the engine but keeps the object the application talks to, application calls go to the {@link
 * TcpConnection.DataPath}, {@link TcpConnection#unpark()} undoes a failed offload, {@link TcpConnection#resume}
 * takes the connection back from a terminate's delegated state. Stack-to-stack moves through a second engine are in
 * {@link ChimneySwitchTransferTest}.
 */
class ParkedConnectionTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    /** A DataPath that records every call. */
    static final class RecordingPath implements TcpConnection.DataPath {
        int sendQueued;
        int receiveSpace;
        int shutdowns;
        int aborts;
        int cachedUpdates;
        final List<TcpSegment> segments = new ArrayList<>();
        TcpConnection.DataPath also;

        @Override
        public void onSendQueued(TcpConnection c) {
            sendQueued++;
        }

        @Override
        public void onReceiveSpace(TcpConnection c) {
            receiveSpace++;
            if (also != null) {
                also.onReceiveSpace(c);
            }
        }

        @Override
        public void onShutdownOutput(TcpConnection c) {
            shutdowns++;
        }

        @Override
        public void onAbort(TcpConnection c) {
            aborts++;
        }

        @Override
        public void onSegment(TcpConnection c, long nowNs, TcpSegment segment) {
            segments.add(segment.copy()); // the carrier is reused: keep a copy (DataPath contract)
        }

        @Override
        public void onCachedUpdated(TcpConnection c, boolean keepAliveRestart, boolean maxRtRestart) {
            cachedUpdates++;
        }
    }

    /** Counts the events the application sees. */
    static final class Events implements TcpConnection.Listener {
        int readable;
        int writable;
        final List<CloseReason> closed = new ArrayList<>();

        @Override
        public void onReadable(TcpConnection c) {
            readable++;
        }

        @Override
        public void onWritable(TcpConnection c) {
            writable++;
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed.add(reason);
        }
    }

    /** A copy of {@code b} with the fields a terminate test varies. */
    static TcpDelegated returned(TcpDelegated b, TcpState state, int sndUna, int sndNxt, int sndMax, int rcvNxt,
            int rcvWnd, int tsTime, int retransmitCount, long retransmitDelta, long keepAliveDelta, byte[] sendData) {
        return new TcpDelegated(state, rcvNxt, rcvWnd, sndUna, sndNxt, sndMax, b.sndWnd(), b.maxSndWnd(), b.sndWl1(),
                b.cWnd(), b.ssThresh(), b.sRtt(), b.rttVar(), b.tsRecent(), b.tsRecentAge(), tsTime, b.totalRt(),
                b.dupAckCount(), b.sndWndProbeCount(), b.keepAliveProbeCount(), keepAliveDelta, retransmitCount,
                retransmitDelta, 0, sendData, new byte[0], List.of());
    }

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    @Test
    void parksOnlyInTheSixOffloadableStates() {
        // R-HOST-1 (spec §1.2): ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK only
        RecordingPath path = new RecordingPath();
        TcpHarness syn = new TcpHarness(TcpHarness.plain().build());
        TcpConnection synSent = syn.stack.connect(LOCAL, 40000, REMOTE, REMOTE_PORT, null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> synSent.park(path));
        assertTrue(e.getMessage().contains("R-HOST-1") && e.getMessage().contains("wait for ESTABLISHED"),
                e.getMessage());

        TcpHarness rcvd = new TcpHarness(TcpHarness.plain().build());
        rcvd.stack.listen(LOCAL, LOCAL_PORT, l -> { });
        rcvd.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        TcpConnection embryo = rcvd.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT);
        assertEquals(TcpState.SYN_RECEIVED, embryo.state());
        assertThrows(IllegalStateException.class, () -> embryo.park(path));

        // TIME_WAIT: our FIN acknowledged, then the peer's
        TcpHarness tw = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = tw.establishedPassive();
        c.shutdownOutput();
        tw.expect(10 * MS, ours(ACK | FIN, L, R, 8192));
        tw.send(20 * MS, peer(ACK, R, L + 1));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        assertEquals(TcpState.FIN_WAIT_2, c.park(path).delegated().state(), "FIN_WAIT_2 is offloadable");
        c.unpark();
        tw.send(30 * MS, peer(ACK | FIN, R, L + 1));
        assertEquals(TcpState.TIME_WAIT, c.state());
        e = assertThrows(IllegalStateException.class, () -> c.park(path));
        assertTrue(e.getMessage().contains("stays with the host"), e.getMessage());
        assertFalse(c.isParked());

        TcpHarness ab = new TcpHarness(TcpHarness.plain().build());
        TcpConnection aborted = ab.establishedPassive();
        aborted.abort();
        assertThrows(IllegalStateException.class, () -> aborted.park(path));

        // CLOSE_WAIT and LAST_ACK are offloadable, and a connection is parked once at a time (R-HOST-3)
        TcpHarness cw = new TcpHarness(TcpHarness.plain().build());
        TcpConnection closeWait = cw.establishedPassive();
        cw.send(20 * MS, peer(ACK | FIN, R, L));
        assertEquals(TcpState.CLOSE_WAIT, closeWait.park(path).delegated().state());
        assertThrows(IllegalStateException.class, () -> closeWait.park(path));
        closeWait.unpark();
        closeWait.shutdownOutput();
        assertEquals(TcpState.LAST_ACK, closeWait.park(path).delegated().state());
    }

    @Test
    void parkSendsTheOwedAckThenStopsEveryTimerAndTheEngine() {
        // R-HOST-2: the pending delayed ACK goes out at park time; afterwards no timer fires and no segment is
        // processed or answered: it goes to the data path
        TcpHarness h = new TcpHarness(TcpHarness.plain().keepAlive(true).keepAliveIdleNs(2000 * MS).build());
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        h.send(30 * MS, peer(ACK | PSH, R, L).payload(bytes(10, 2)));
        assertTrue(c.ackPending(), "delayed ACK running (40 ms)");
        h.advanceTo(35 * MS);
        RecordingPath path = new RecordingPath();
        TcpSnapshot snap = c.park(path);
        h.expect(35 * MS, ours(ACK, L + 100, R + 10, 8182));
        TcpDelegated del = snap.delegated();
        assertEquals(975, del.retransmitTimeoutDelta(), "RTO armed at 10 ms for 1 s, 975 ms left");
        assertEquals(2030 - 35, del.keepAliveTimeoutDelta(), "keepalive idle timer (restarted at 30 ms) carried");
        assertArrayEquals(data, del.sendData(), "send data from SND.UNA (spec §3.1.6)");
        assertEquals(0, del.receivedDataLength(), "the 10 unread bytes stay on the host");
        TcpDelegated chainless = del.withData(new byte[0], del.receivedData());
        assertEquals(0, chainless.sendDataLength());
        assertEquals(del.sndUna(), chainless.sndUna());
        assertEquals(del.retransmitTimeoutDelta(), chainless.retransmitTimeoutDelta());
        assertEquals(10, c.readableBytes());
        assertTrue(c.isParked());

        TcpSegment late = peer(ACK | PSH, R + 10, L).payload(bytes(20, 3));
        h.send(100 * MS, late);
        h.expectNothing(10_000 * MS); // no retransmission at 1010 ms, no keepalive at 2010 ms, no answer
        assertEquals(1, path.segments.size());
        assertEquals(late, path.segments.getFirst(), "the segment reached the data path intact");
        assertEquals(1, h.stack.counter(TcpCounter.PARKED_SEGMENTS));
        assertEquals(R + 10, c.rcvNxt(), "the engine did not process it");
        assertSame(c, h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT), "the 4-tuple stays reserved");
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void unparkCarriesOnFromTheParkedStateWithTimersAtTheirDeadlines() {
        // spec §3.1.4: a failed offload leaves the data the host's; the engine resumes as if nothing happened
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        h.advanceTo(40 * MS);
        RecordingPath path = new RecordingPath();
        c.park(path);
        byte[] more = bytes(50, 4);
        assertEquals(50, c.write(more));
        assertEquals(1, path.sendQueued);
        assertEquals(150, c.sendBytes());
        byte[] copy = new byte[50];
        c.copySendData(100, 50, copy, 0);
        assertArrayEquals(more, copy);
        h.expectNothing(500 * MS);
        c.unpark();
        assertFalse(c.isParked());
        // Nagle holds the 50 bytes behind 100 unacknowledged ones, exactly as without the park
        h.expectNothing(1009 * MS);
        // the RTO armed at 10 ms fires at its original deadline and goes back to SND.UNA
        byte[] all = new byte[150];
        System.arraycopy(data, 0, all, 0, 100);
        System.arraycopy(more, 0, all, 100, 50);
        h.expect(1010 * MS, ours(ACK | PSH, L, R, 8192).payload(all));
        h.send(1020 * MS, peer(ACK, R, L + 150));
        assertEquals(0, c.unacknowledgedBytes());
        assertEquals(1, h.stack.counter(TcpCounter.UNPARKS));
    }

    @Test
    void unparkAfterTheDeadlinePassedFiresTheTimerAtOnceAndSendsWhatWasQueued() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        h.advanceTo(40 * MS);
        c.park(new RecordingPath());
        c.shutdownOutput(); // the FIN asked for while parked goes out on unpark
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        h.expectNothing(1500 * MS);
        c.unpark();
        h.advanceTo(1500 * MS);
        h.expect(1500 * MS, ours(ACK | PSH | FIN, L, R, 8192).payload(data));
        h.send(1510 * MS, peer(ACK, R, L + 101));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
    }

    @Test
    void applicationCallsWhileParkedGoToTheDataPath() {
        // spec §1.1: the logical switch — the application keeps its object, the manager moves the bytes
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        RecordingPath path = new RecordingPath();
        c.park(path);
        byte[] out = bytes(300, 5);
        c.write(out);
        assertEquals(1, path.sendQueued);
        c.releaseSendData(120); // the target completed 120 bytes
        assertEquals(1, ev.writable);
        assertEquals(180, c.sendBytes());
        byte[] rest = new byte[180];
        c.copySendData(0, 180, rest, 0);
        assertArrayEquals(slice(out, 120, 300), rest, "offsets count from the first byte not released");
        assertThrows(IndexOutOfBoundsException.class, () -> c.copySendData(100, 81, new byte[81], 0));

        byte[] in = bytes(8192 + 100, 6);
        assertEquals(8192, c.receiveSpace());
        assertEquals(8192, c.deliverReceived(in, 0, in.length), "never more than receiveSpace()");
        assertEquals(1, ev.readable);
        assertEquals(0, c.receiveSpace());
        byte[] got = new byte[5000];
        assertEquals(5000, c.read(got, 0, got.length));
        assertEquals(1, path.receiveSpace);
        assertArrayEquals(slice(in, 0, 5000), got);
        assertEquals(100, c.deliverReceived(in, 8192, 100));
        byte[] tail = new byte[4000];
        assertEquals(3292, c.read(tail, 0, tail.length));
        assertArrayEquals(slice(in, 5000, 8292), slice(tail, 0, 3292));
        assertEquals(0, c.read(tail, 0, tail.length), "no EOF before the peer's FIN");

        c.shutdownOutput();
        c.shutdownOutput();
        assertEquals(1, path.shutdowns, "idempotent");
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        assertEquals(0, c.writableBytes());
        assertThrows(IllegalStateException.class, () -> c.write(new byte[1]));
        c.peerFinReceived(); // TcpIndicateDisconnect
        assertEquals(TcpState.CLOSING, c.state());
        assertEquals(-1, c.read(tail, 0, tail.length));
        assertTrue(c.isEndOfStream());
        IllegalStateException e = assertThrows(IllegalStateException.class, c::finAcknowledged);
        assertTrue(e.getMessage().contains("releaseSendData"), e.getMessage());
        c.releaseSendData(180);
        c.finAcknowledged();
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(List.of(CloseReason.NORMAL), ev.closed);
        c.closeParked(CloseReason.NORMAL);
        assertEquals(List.of(CloseReason.NORMAL), ev.closed, "onClosed once");
        assertEquals(TcpState.CLOSED, c.state());
        assertNull(h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT), "4-tuple released");
        assertTrue(h.sent.isEmpty(), "the parked engine sent nothing: " + h.sent);
    }

    @Test
    void abortWhileParkedClosesForTheApplicationAndLeavesTheResetToTheTarget() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        RecordingPath path = new RecordingPath();
        c.park(path);
        c.abort();
        assertEquals(1, path.aborts);
        assertEquals(List.of(CloseReason.ABORTED), ev.closed);
        assertEquals(TcpState.CLOSED, c.state());
        assertSame(c, h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT), "reserved until the terminate ends");
        h.send(20 * MS, peer(ACK | PSH, R, L).payload(bytes(5, 1)));
        assertEquals(1, path.segments.size());
        assertTrue(h.sent.isEmpty(), "no RST from the host: " + h.sent);
        c.closeParked(CloseReason.RESET);
        assertEquals(List.of(CloseReason.ABORTED), ev.closed, "once, with the first reason");
        assertEquals(CloseReason.ABORTED, c.closeReason());
        assertNull(h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT));
    }

    @Test
    void abortWhileParkedThenFailedOffloadSendsTheResetFromTheHost() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        c.park(new RecordingPath());
        c.abort();
        h.advanceTo(20 * MS);
        c.unpark();
        h.expect(20 * MS, ours(RST | ACK, L, R, 0));
        assertEquals(List.of(CloseReason.ABORTED), ev.closed);
        assertNull(h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT));
    }

    @Test
    void closeWithUnreadDataWhileParkedAborts() {
        // RFC 2525 §2.17 as on the engine: unread data makes close() an abort, which the data path carries
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        RecordingPath path = new RecordingPath();
        c.park(path);
        c.deliverReceived(bytes(10, 1), 0, 10);
        c.close();
        assertEquals(1, path.aborts);
        assertEquals(0, path.shutdowns);
        assertEquals(CloseReason.ABORTED, c.closeReason());
    }

    @Test
    void cachedUpdatesWhileParkedReachTheDataPath() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        RecordingPath path = new RecordingPath();
        c.park(path);
        c.updateCached(c.cached().withNagling(false), false, false);
        assertEquals(1, path.cachedUpdates);
        assertFalse(c.cached().naglingEnabled());
        assertTrue(h.sent.isEmpty());
    }

    @Test
    void resumeAppliesTimerDeltasAndTheTimestampClock() {
        // R-HOST-10 / spec §3.2.10: −1 off, 0 fires at once, n fires n ticks later; StackDelta = TsTime − StackTime
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        h.advanceTo(5000 * MS);
        int tsTime = parked.tsTime() + 77_777;
        c.resume(returned(parked, TcpState.ESTABLISHED, L, L + 100, L + 100, R, 8192, tsTime, 1, 300, -1, data),
                null);
        assertFalse(c.isParked());
        h.expectNothing(5299 * MS);
        h.expect(5300 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        h.send(5310 * MS, peer(ACK, R, L + 100));
        TcpDelegated now = c.export().delegated();
        assertEquals(tsTime + 310, now.tsTime(), "the timestamp clock continues from TsTime");
        assertEquals(-1, now.keepAliveTimeoutDelta());
        assertEquals(1, h.stack.counter(TcpCounter.RESUMES));

        TcpHarness h2 = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c2 = h2.establishedPassive();
        c2.write(data);
        h2.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        TcpDelegated p2 = c2.park(new RecordingPath()).delegated();
        h2.advanceTo(20 * MS);
        c2.resume(returned(p2, TcpState.ESTABLISHED, L, L + 100, L + 100, R, 8192, p2.tsTime() + 10, 2, 0, -1,
                data), null);
        h2.advanceTo(20 * MS);
        h2.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(data)); // delta 0: due now
    }

    @Test
    void resumeNeverTakesTheTimestampClockBack() {
        // R-TS-6: a target whose TsTime is behind what the host already sent cannot make TSvals go backwards
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(1000 * MS);
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        h.advanceTo(1500 * MS);
        c.resume(returned(parked, TcpState.ESTABLISHED, L, L, L, R, 8192, parked.tsTime() - 400, 0, -1, -1,
                new byte[0]), null);
        assertEquals(parked.tsTime(), c.export().delegated().tsTime());
    }

    @Test
    void resumeTrimsTheSendBufferToSndUnaAndDeliversBufferedDataInOrder() {
        // R-TERM-10: the host buffer is the send data; it restarts at the returned SND.UNA. R-TERM-12: buffered
        // receive data follows what the host already had, before anything newer
        TcpHarness h = new TcpHarness(TcpHarness.plain().nagle(false).build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        byte[] data = bytes(300, 1);
        c.write(data);
        h.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        h.advanceTo(20 * MS);
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        byte[] more = bytes(200, 2);
        c.write(more); // queued while offloaded, never given to the target
        c.releaseSendData(100); // one send request of 100 bytes completed
        byte[] in = bytes(20, 3);
        c.deliverReceived(in, 0, 10);
        h.advanceTo(40 * MS);
        // the target had 150 acknowledged (50 of them inside an uncompleted request) and all 300 sent
        c.resume(returned(parked, TcpState.ESTABLISHED, L + 150, L + 300, L + 300, R + 20, 8192 - 20,
                parked.tsTime() + 20, 0, 980, -1, slice(data, 150, 300)), slice(in, 10, 20));
        assertEquals(350, c.unacknowledgedBytes());
        assertEquals(20, c.readableBytes());
        // data queued while parked goes out at once after what the target had sent (R-OFF-17 in reverse)
        h.expect(40 * MS, ours(ACK | PSH, L + 300, R + 20, 8172).payload(more));
        byte[] got = new byte[20];
        assertEquals(20, c.read(got, 0, 20));
        assertArrayEquals(in, got);
        h.send(50 * MS, peer(ACK, R + 20, L + 500));
        assertEquals(0, c.unacknowledgedBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, c::unpark);
        assertTrue(e.getMessage().contains("parked"), e.getMessage());
    }

    @Test
    void resumeGrowsTheRingRatherThanShrinkTheWindow() {
        // RFC 9293 §3.8.6.2.2: the right edge the target advertised stays where it was
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        byte[] in = bytes(6000, 1);
        c.deliverReceived(in, 0, 6000); // the application is not reading
        c.resume(returned(parked, TcpState.ESTABLISHED, L, L, L, R + 8000, 8192, parked.tsTime(), 0, -1, -1,
                new byte[0]), slice(bytes(8000, 1), 6000, 8000));
        assertEquals(8000, c.readableBytes());
        assertEquals(8192, c.rcvWnd());
        h.send(20 * MS, peer(ACK | PSH, R + 8000, L).payload(bytes(8192, 9)));
        assertEquals(R + 8000 + 8192, c.rcvNxt(), "the whole advertised window was accepted");
    }

    @Test
    void resumeWithClosedEndsTheConnectionOnceWithAReason() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        c.deliverReceived(bytes(7, 1), 0, 7);
        // the target gave up retransmitting: TIMED_OUT; data already delivered stays readable
        c.resume(returned(parked, TcpState.CLOSED, L, L + 50, L + 50, R + 7, 8192, parked.tsTime(), 15, -1, -1,
                new byte[0]), new byte[0]);
        assertEquals(List.of(CloseReason.TIMED_OUT), ev.closed);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(7, c.readableBytes());
        assertNull(h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT));
        assertTrue(h.sent.isEmpty());

        TcpHarness h2 = new TcpHarness(TcpHarness.plain().build());
        TcpConnection reset = h2.establishedPassive();
        Events ev2 = new Events();
        reset.listener(ev2);
        TcpDelegated p2 = reset.park(new RecordingPath()).delegated();
        reset.resume(returned(p2, TcpState.CLOSED, L, L, L, R, 8192, p2.tsTime(), 0, -1, -1, new byte[0]), null);
        assertEquals(List.of(CloseReason.RESET), ev2.closed, "an RST (or SYN at RCV.NXT) ended it on the target");

        // LAST_ACK whose FIN the target saw acknowledged: a normal close
        TcpHarness h3 = new TcpHarness(TcpHarness.plain().build());
        TcpConnection last = h3.establishedPassive();
        Events ev3 = new Events();
        last.listener(ev3);
        h3.send(20 * MS, peer(ACK | FIN, R, L));
        h3.expect(20 * MS, ours(ACK, L, R + 1, 8192));
        last.shutdownOutput();
        h3.expect(20 * MS, ours(ACK | FIN, L, R + 1, 8192));
        TcpDelegated p3 = last.park(new RecordingPath()).delegated();
        last.resume(returned(p3, TcpState.CLOSED, L + 1, L + 1, L + 1, R + 1, 8191, p3.tsTime(), 0, -1, -1,
                new byte[0]), null);
        assertEquals(List.of(CloseReason.NORMAL), ev3.closed);
    }

    @Test
    void resumeInTimeWaitRunsTwoMslOnTheHost() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().mslNs(1000 * MS).build());
        TcpConnection c = h.establishedPassive();
        Events ev = new Events();
        c.listener(ev);
        c.shutdownOutput();
        h.expect(10 * MS, ours(ACK | FIN, L, R, 8192));
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        h.advanceTo(30 * MS);
        c.resume(returned(parked, TcpState.TIME_WAIT, L + 1, L + 1, L + 1, R + 1, 8191, parked.tsTime() + 20, 0,
                -1, -1, new byte[0]), null);
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(List.of(CloseReason.NORMAL), ev.closed);
        assertEquals(-1, c.read(new byte[1], 0, 1), "the peer's FIN is an end of stream");
        // a retransmitted FIN is acknowledged from the host
        h.send(100 * MS, peer(ACK | FIN, R, L + 1));
        h.expect(100 * MS, ours(ACK, L + 1, R + 1, 8192));
        h.advanceTo(2200 * MS);
        assertNull(h.stack.find(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT), "2 MSL after the (restarted) wait");
        assertEquals(List.of(CloseReason.NORMAL), ev.closed);
    }

    @Test
    void misuseGetsClearMessages() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.releaseSendData(1));
        assertTrue(e.getMessage().contains("parked"), e.getMessage());
        assertThrows(IllegalStateException.class, c::unpark);
        assertThrows(IllegalStateException.class, () -> c.deliverReceived(new byte[1], 0, 1));
        byte[] data = bytes(100, 1);
        c.write(data);
        TcpDelegated parked = c.park(new RecordingPath()).delegated();
        e = assertThrows(IllegalStateException.class, c::export);
        assertTrue(e.getMessage().contains("parked"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.releaseSendData(101));
        c.releaseSendData(10);
        e = assertThrows(IllegalStateException.class, c::unpark);
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> c.resume(returned(parked,
                TcpState.ESTABLISHED, L + 5, L + 100, L + 100, R, 8192, parked.tsTime(), 0, -1, -1, data), null));
        assertTrue(a.getMessage().contains("SndUna"), a.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.resume(returned(parked, TcpState.SYN_SENT, L + 10,
                L + 100, L + 100, R, 8192, parked.tsTime(), 0, -1, -1, new byte[0]), null));
        assertTrue(c.isParked(), "a refused resume leaves the connection parked");
        c.peerFinReceived();
        assertThrows(IllegalStateException.class, () -> c.deliverReceived(new byte[1], 0, 1));
    }
}
