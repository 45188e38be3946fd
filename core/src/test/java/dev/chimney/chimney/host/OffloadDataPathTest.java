package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.chimney.host.RecordingTarget.Conn;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.TcpView;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The logical switch (spec §1.1): an offloaded connection's socket I/O travels as chimney requests, the target's
 * completions and indications reach the application, and the application cannot tell (R-HOST-7 to R-HOST-12,
 * R-HOST-14).
 */
class OffloadDataPathTest {

    /** Whatever a test does, the host kept every rule of spec §3.8 towards the target (an independent check). */
    @AfterEach
    void hostRulesKept() {
        HostPair.assertContractsKept();
    }


    private static HostPair offloaded(long seed, Peer[] out) {
        HostPair h = new HostPair(seed, OffloadPolicy.explicit());
        out[0] = h.connect(B4);
        h.manager.offload(out[0].connection);
        h.target.succeed(h.target.lastInitiate());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(out[0].connection));
        return h;
    }

    private static Conn ctx(HostPair h, Peer c) {
        return (Conn) h.manager.record(c.connection).handle().miniportContext();
    }

    private static byte[] bytesOf(dev.chimney.chimney.SendRequest r) {
        return java.util.Arrays.copyOfRange(r.buffer(), r.offset(), r.offset() + r.length());
    }

    /** The request arrays come from the stack's pool and go back at completion: a warm pool allocates none. */
    @Test
    void rHost12_completedSendArraysAreRecycled() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(12, p);
        Peer c = p[0];
        c.connection.write(HostPair.pattern(3000, 1));
        byte[] first = h.target.sends.get(0).buffer();
        h.target.ackSends(1);
        c.connection.write(HostPair.pattern(2000, 2));
        assertSame(first, h.target.sends.get(0).buffer(), "the completed request's array is reused");
        assertArrayEquals(HostPair.pattern(2000, 2), bytesOf(h.target.sends.get(0)));
    }

    @Test
    void rHost12_eachWriteIsOneSendRequestAndSuccessFreesTheBuffer() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(11, p);
        Peer c = p[0];
        int free = c.connection.writableBytes();
        byte[] one = HostPair.pattern(6000, 1);
        byte[] two = HostPair.pattern(5000, 2);
        c.connection.write(one);
        c.connection.write(two);
        assertEquals(2, h.target.sends.size());
        assertArrayEquals(one, bytesOf(h.target.sends.get(0))); // a pooled array: its first length() bytes count
        assertArrayEquals(two, bytesOf(h.target.sends.get(1)));
        assertSame(ctx(h, c), h.target.sends.get(0).targetScratch, "requests name the target's context");
        assertEquals(free - 11000, c.connection.writableBytes(), "bytes stay until the target completes them");
        h.target.ackSends(1);
        assertEquals(free - 5000, c.connection.writableBytes());
        h.target.ackSends(1);
        assertEquals(free, c.connection.writableBytes());
        assertEquals(11000, h.manager.counter(OffloadCounter.SEND_BYTES_COMPLETED));
    }

    @Test
    void aSmallWriteWhileARequestIsOutWaitsForItsCompletion() {
        // OffloadManager.postSends: fewer than 4 KiB wait while a request is out (request-level SWS avoidance;
        // docs/decisions.md), and go as one request when it completes
        Peer[] p = new Peer[1];
        HostPair h = offloaded(15, p);
        Peer c = p[0];
        byte[] first = HostPair.pattern(3000, 1);
        c.connection.write(first);
        assertEquals(1, h.target.sends.size(), "nothing out: a small write goes at once");
        byte[] a = HostPair.pattern(700, 2);
        byte[] b = HostPair.pattern(300, 3);
        c.connection.write(a);
        c.connection.write(b);
        assertEquals(1, h.target.sends.size(), "1,000 bytes wait for the request out");
        h.target.ackSends(1);
        assertEquals(1, h.target.sends.size(), "posted at the completion, as one request");
        byte[] want = new byte[1000];
        System.arraycopy(a, 0, want, 0, 700);
        System.arraycopy(b, 0, want, 700, 300);
        assertArrayEquals(want, bytesOf(h.target.sends.getFirst()));
        h.target.ackSends(1);
        assertEquals(4000, h.manager.counter(OffloadCounter.SEND_BYTES_COMPLETED));
        assertEquals(2, h.manager.counter(OffloadCounter.SEND_REQUESTS));
    }

    // spec §8: R-HOST-9
    @Test
    void rHost9_uploadInProgressKeepsTheBytesAndTheHostSendsThemAfterTheTerminate() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(12, p);
        Peer c = p[0];
        Peer server = h.serverOf(c);
        byte[] a = HostPair.pattern(5000, 1);
        byte[] b = HostPair.pattern(6000, 2);
        c.connection.write(a);
        c.connection.write(b);
        SendRequest r1 = h.target.sends.get(0);
        SendRequest r2 = h.target.sends.get(1);
        r1.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 0);
        r2.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 0);
        h.target.host.sendComplete(r1.append(r2));
        assertEquals(11000, c.connection.sendBytes(), "nothing acknowledged, nothing released");
        assertEquals(1, h.target.terminates.size(), "the host takes the connection back");
        byte[] late = HostPair.pattern(100, 3);
        c.connection.write(late); // after the upload began: not posted (R-HOST-7)
        assertEquals(2, h.target.sends.size());
        h.target.succeedTerminate(h.target.lastTerminate());
        h.sim.runUntil(() -> server.received.size() >= 11100, h.sim.nowNs() + 10 * HostPair.S);
        byte[] want = new byte[11100];
        System.arraycopy(a, 0, want, 0, 5000);
        System.arraycopy(b, 0, want, 5000, 6000);
        System.arraycopy(late, 0, want, 11000, 100);
        assertArrayEquals(want, server.bytes(), "the host engine re-drove every byte, in order");
    }

    @Test
    void spec413_theAcknowledgedPrefixOfAFailedRequestIsReleasedAndTheRestKept() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(22, p);
        Peer c = p[0];
        c.connection.write(HostPair.pattern(5000, 1));
        c.connection.write(HostPair.pattern(6000, 2));
        SendRequest r1 = h.target.sends.get(0);
        SendRequest r2 = h.target.sends.get(1);
        r1.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 500); // at most one partial request (spec §4.1.3)
        r2.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 0);
        h.target.host.sendComplete(r1.append(r2));
        assertEquals(10500, c.connection.sendBytes());
        assertEquals(1, h.manager.counter(OffloadCounter.SEND_UPLOAD_IN_PROGRESS));
        assertEquals(500, h.manager.counter(OffloadCounter.SEND_BYTES_COMPLETED));
        assertEquals(0, h.manager.record(c.connection).postedBytes);
        assertEquals(0, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
    }

    // spec §8: R-HOST-9
    @Test
    void rHost9_requestAbortedDataIsDiscarded() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(13, p);
        Peer c = p[0];
        c.connection.write(HostPair.pattern(2000, 1));
        SendRequest r = h.target.sends.getFirst();
        h.target.host.tcpEvent(h.manager.record(c.connection).handle(), TcpEvent.ABORT);
        r.complete(OffloadStatus.REQUEST_ABORTED, 0);
        h.target.host.sendComplete(r);
        assertEquals(1, h.manager.counter(OffloadCounter.SEND_ABORTED));
        assertEquals(1, h.target.terminates.size(), "R-HOST-14: an abort is always terminated");
        h.target.succeedTerminate(h.target.lastTerminate());
        assertEquals(CloseReason.RESET, c.closed);
        assertEquals(TcpState.CLOSED, c.connection.state());
        h.run(50 * MS);
        assertEquals(0, h.serverOf(c).received.size(), "nothing was re-driven");
    }

    @Test
    void receiveIndicationsFillTheApplicationsBufferAndARefusalWaitsForARead() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(14, p);
        Peer c = p[0];
        c.reading = false; // the application does not read for now
        byte[] data = HostPair.pattern(40_000, 5);
        ReceiveIndication first = new ReceiveIndication(data, 0, 40_000);
        ReceiveIndication.Result r1 = h.target.host.receiveIndicate(h.manager.record(c.connection).handle(), first);
        assertEquals(OffloadStatus.SUCCESS, r1.status());
        assertEquals(40_000, r1.bytesConsumed());
        h.run(MS);
        assertEquals(1, h.target.returned.size(), "taken buffers come back through receive-return");
        assertSame(first, h.target.returned.getFirst());
        byte[] more = HostPair.pattern(40_000, 6);
        ReceiveIndication.Result r2 = h.target.host.receiveIndicate(h.manager.record(c.connection).handle(),
                new ReceiveIndication(more, 0, 40_000));
        int ring = 64 * 1024;
        assertEquals(OffloadStatus.OFFLOAD_DATA_PARTIALLY_ACCEPTED, r2.status());
        assertEquals(ring - 40_000, r2.bytesConsumed());
        ReceiveIndication.Result r3 = h.target.host.receiveIndicate(h.manager.record(c.connection).handle(),
                new ReceiveIndication(more, r2.bytesConsumed(), 40_000 - r2.bytesConsumed()));
        assertEquals(OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED, r3.status());
        assertEquals(0, r3.bytesConsumed());
        h.run(MS);
        assertEquals(1, h.target.returned.size(), "a refused indication stays the target's");
        assertTrue(h.target.receives.isEmpty(), "no receive request while the application's buffer is full");
        c.reading = true;
        c.drain();
        assertEquals(1, h.target.receives.size(), "the read posts one zero-byte request (spec §4.3.3)");
        ReceiveRequest zero = h.target.receives.getFirst();
        assertEquals(0, zero.capacity());
        c.drain();
        assertEquals(1, h.target.receives.size(), "one at a time");
        zero.complete(OffloadStatus.SUCCESS);
        h.target.host.receiveComplete(zero);
        int rest = 40_000 - r2.bytesConsumed();
        assertEquals(OffloadStatus.SUCCESS, h.target.host.receiveIndicate(h.manager.record(c.connection).handle(),
                new ReceiveIndication(more, r2.bytesConsumed(), rest)).status());
        byte[] want = new byte[80_000];
        System.arraycopy(data, 0, want, 0, 40_000);
        System.arraycopy(more, 0, want, 40_000, 40_000);
        assertArrayEquals(want, c.bytes(), "in order, nothing lost or repeated");
    }

    @Test
    void peerDisconnectIsTheReadersEndOfStream() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(15, p);
        Peer c = p[0];
        h.target.host.receiveIndicate(h.manager.record(c.connection).handle(),
                new ReceiveIndication(HostPair.pattern(100, 1), 0, 100));
        assertFalse(c.eof);
        h.target.host.tcpEvent(h.manager.record(c.connection).handle(), TcpEvent.DISCONNECT);
        h.run(MS);
        assertTrue(c.eof);
        assertEquals(100, c.received.size());
        assertEquals(TcpState.CLOSE_WAIT, c.connection.state());
        assertTrue(h.target.terminates.isEmpty(), "our side is still open: the connection stays offloaded");

        // the application closes: graceful disconnect after the data; both FINs through -> terminate
        c.connection.write(HostPair.pattern(10, 2));
        c.connection.close();
        assertEquals("send", h.target.calls.get(h.target.calls.size() - 2));
        assertEquals("disconnect", h.target.calls.getLast());
        h.target.ackSends(1);
        DisconnectRequest d = h.target.disconnects.getFirst();
        assertFalse(d.isAbortive());
        d.complete(OffloadStatus.SUCCESS, 0);
        ctx(h, c).finIndicated = true;
        h.target.host.disconnectComplete(d);
        assertEquals(TcpState.CLOSED, c.connection.state());
        assertEquals(CloseReason.NORMAL, c.closed);
        assertEquals(1, h.target.terminates.size(), "both FINs through: the host finishes the connection");
    }

    @Test
    void abortIsAnAbortiveDisconnectThenATerminateAndTheTargetsRstIsTheOnlyOne() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(16, p);
        Peer c = p[0];
        c.connection.abort();
        assertEquals(CloseReason.ABORTED, c.closed);
        assertEquals("abort", h.target.calls.getLast());
        DisconnectRequest d = h.target.disconnects.getFirst();
        assertTrue(d.isAbortive());
        d.complete(OffloadStatus.SUCCESS, 0);
        h.target.host.disconnectComplete(d);
        h.target.succeedTerminate(h.target.lastTerminate());
        assertEquals(TcpState.CLOSED, c.connection.state());
        h.run(50 * MS);
        assertEquals(0, h.a.tcp().connectionCount(), "the 4-tuple is released");
    }

    @Test
    void rHost14_mandatoryRetrieveAlwaysTerminatesAndOptionalFollowsThePolicy() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(17, p);
        Peer c = p[0];
        var handle = h.manager.record(c.connection).handle();
        h.target.host.tcpEvent(handle, TcpEvent.retrieve(UploadReason.LOW_ACTIVITY));
        assertEquals(1, h.target.terminates.size(), "the default policy honours optional reasons");
        h.target.succeedTerminate(h.target.lastTerminate());

        HostPair h2 = new HostPair(18, OffloadPolicy.explicit().withAcceptOptionalRetrieve(false));
        Peer c2 = h2.connect(B4);
        h2.manager.offload(c2.connection);
        h2.target.succeed(h2.target.lastInitiate());
        var handle2 = h2.manager.record(c2.connection).handle();
        h2.target.host.tcpEvent(handle2, TcpEvent.retrieve(UploadReason.HIGH_DROP_RATE));
        assertTrue(h2.target.terminates.isEmpty(), "declined (R-TERM-16)");
        assertEquals(1, h2.manager.counter(OffloadCounter.RETRIEVES_DECLINED));
        h2.target.host.tcpEvent(handle2, TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION));
        assertEquals(1, h2.target.terminates.size(), "mandatory (R-HOST-14)");
        h2.target.host.tcpEvent(handle2, TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION));
        assertEquals(1, h2.target.terminates.size(), "one terminate per connection");
    }

    @Test
    void rHost8_segmentsAreForwardedAfterTheOffloadAndHeldDuringTheTerminate() {
        HostPair h = new HostPair(19, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer server = h.serverOf(c);
        h.manager.offload(c.connection);
        byte[] early = HostPair.pattern(300, 1);
        int rcvNxt = c.connection.rcvNxt();
        server.connection.write(early);
        h.run(5 * MS);
        assertTrue(h.target.forwards.isEmpty(), "nothing is forwarded while the initiate is outstanding");
        h.target.succeed(h.target.lastInitiate());
        assertFalse(h.target.forwards.isEmpty(), "forwarded once the initiate completed (spec §4.7)");
        ForwardRequest f = h.target.forwards.getFirst();
        TcpView v = new TcpView().wrap(MemorySegment.ofArray(f.segment()), 0, f.segment().length);
        assertEquals(HostPair.PORT, v.srcPort());
        assertEquals(c.connection.localPort(), v.dstPort());
        assertEquals(rcvNxt, v.seqNumber(), "the segment as the peer sent it: header, options, payload");
        assertEquals(300, v.payloadLength());
        byte[] payload = Arrays.copyOfRange(f.segment(), v.headerLen(), f.segment().length);
        assertArrayEquals(early, payload);

        // while the terminate is outstanding, new segments are held and the host engine processes them after it
        h.manager.terminate(c.connection);
        int forwards = h.target.forwards.size();
        server.connection.write(HostPair.pattern(200, 2));
        h.run(5 * MS);
        assertEquals(forwards, h.target.forwards.size(), "never forwarded during a terminate (R-HOST-8)");
        h.target.succeedTerminate(h.target.lastTerminate());
        h.sim.runUntil(() -> c.received.size() == 500, h.sim.nowNs() + 5 * HostPair.S);
        byte[] want = new byte[500];
        System.arraycopy(early, 0, want, 0, 300);
        System.arraycopy(HostPair.pattern(200, 2), 0, want, 300, 200);
        assertArrayEquals(want, c.bytes(), "the target never delivered the early bytes: the peer resent them");
    }

    // spec §8: R-HOST-10
    @Test
    void rHost10_theEngineResumesFromTheReturnedStateAndBufferedData() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(20, p);
        Peer c = p[0];
        Peer server = h.serverOf(c);
        // the peer sends 1000 bytes; the target acknowledged them and hands them back as BufferedData
        byte[] data = HostPair.pattern(1000, 7);
        server.connection.write(data);
        h.run(5 * MS);
        Conn ctx = ctx(h, c);
        h.manager.terminate(c.connection);
        BlockList root = h.target.lastTerminate();
        for (BlockList b : root.nodes()) {
            b.status(OffloadStatus.SUCCESS);
        }
        BlockList t = root.nodes().stream().filter(b -> b.layer() == dev.chimney.chimney.StateLayer.TCP)
                .findFirst().orElseThrow();
        ctx.indicated = 1000;
        var del = RecordingTarget.advanced(ctx);
        t.tcpDelegated(new dev.chimney.tcp.TcpDelegated(del.state(), del.rcvNxt(), del.rcvWnd(), del.sndUna(),
                del.sndNxt(), del.sndMax(), del.sndWnd(), del.maxSndWnd(), del.sndWl1(), del.cWnd(), del.ssThresh(),
                del.sRtt(), del.rttVar(), del.tsRecent(), del.tsRecentAge(), del.tsTime(), del.totalRt(),
                del.dupAckCount(), del.sndWndProbeCount(), del.keepAliveProbeCount(), del.keepAliveTimeoutDelta(),
                del.retransmitCount(), 0, del.dWnd(), new byte[0], data, java.util.List.of()));
        h.target.host.terminateOffloadComplete(root);
        assertFalse(c.connection.isParked());
        assertArrayEquals(data, c.bytes(), "BufferedData delivered in order (R-TERM-12)");
        assertEquals(del.rcvNxt(), c.connection.rcvNxt());
        // the peer's retransmission of those bytes is a duplicate now; new data follows in order
        server.connection.write(HostPair.pattern(50, 8));
        h.sim.runUntil(() -> c.received.size() == 1050, h.sim.nowNs() + 5 * HostPair.S);
        assertEquals(1050, c.received.size());
        assertEquals(1, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
    }

    // spec §8: R-HOST-11
    @Test
    void rHost11_urgentDataIsNeverSentThroughTheChimney() {
        Peer[] p = new Peer[1];
        HostPair h = offloaded(21, p);
        p[0].connection.write(HostPair.pattern(64, 1));
        for (SendRequest r : h.target.sends) {
            assertNotNull(r.buffer());
        }
        // the host TCP has no way to send urgent data (no API), so no send request can carry any: the forwarded
        // and posted segments never set URG either
        assertTrue(h.target.forwards.stream().noneMatch(f -> (new TcpView().wrap(MemorySegment.ofArray(
                f.segment()), 0, f.segment().length).urg())));
    }
}
