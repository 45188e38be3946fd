package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.TcpFlags;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec §8.8: posted receives, receive indications, the delivery algorithm. */
abstract class ReceiveConformance extends SendConformance {
    /** TcpPushTicks for these tests (the parameter the target must use, R-CAP-2). */
    static final int PUSH_TICKS = 300;

    static ChimneyWorld.Options pushOptions() {
        OffloadParameters p = OffloadParameters.DEFAULTS;
        return ChimneyWorld.options().plainTcp().parameters(new OffloadParameters(p.ticksPerSecond(),
                p.tcpAckFrequency(), p.tcpDelayedAckTicks(), p.tcpMaximumRetransmissions(),
                p.tcpDoubtReachabilityRetransmissions(), p.tcpSwsPreventionTicks(), p.tcpDuplicateAckThreshold(),
                PUSH_TICKS, p.nceStaleTicks()));
    }

    /** A segment of {@code n} bytes from the peer, PSH only if asked, at the peer's current sequence number. */
    static int inject(ChimneyWorld w, ChimneyWorld.Conn c, int offset, byte[] data, boolean psh) {
        w.injectFromPeer(w.peerSegment(c, w.peerSndNxt(c) + offset, w.peerRcvNxt(c), TcpFlags.ACK
                | (psh ? TcpFlags.PSH : 0), 60_000, 0, data));
        return offset + data.length;
    }

    long completedAt(ChimneyWorld w, ReceiveRequest r) {
        return w.rec.log.get(w.rec.indexOf("receive", r)).timeNs();
    }

    @Test
    void rRecv1_rRecv2_rRecv3_rRecv8_postedBuffersAreFilledInOrderAndCompletedWhenFull() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        List<ReceiveRequest> posted = List.of(w.post(o, 1000, true), w.post(o, 2000, true), w.post(o, 3000, true));
        w.run(10 * MS);
        assertTrue(w.rec.receives.isEmpty(), "R-DLV-4: posted without data: only queued");
        byte[] data = ChimneyWorld.pattern(6000, 1);
        w.peerWrite(c, data);
        w.runUntil(() -> w.rec.receives.size() == 3, S, "three completions");
        assertEquals(posted, w.rec.receives, "R-RECV-1: completed in posting order");
        for (ReceiveRequest r : posted) {
            assertEquals(OffloadStatus.SUCCESS, r.status(), "R-RECV-8");
            assertEquals(r.capacity(), r.bytesTransferred(), "R-RECV-3/8: filled");
        }
        assertTrue(w.rec.indications.isEmpty(), "R-RECV-2: nothing indicated while buffers were posted");
        assertArrayEquals(data, w.delivered(o), "R-RECV-1: FIFO");
    }

    @Test
    void rRecv4_rRecv6_rTimer15_rCap2_aPartlyFilledPushBufferCompletesOnPshOrWhenThePushTimerFires() {
        ChimneyWorld w = world(pushOptions());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        // PSH completes it at once
        ReceiveRequest a = w.post(o, 10_000, false);
        int off = inject(w, c, 0, ChimneyWorld.pattern(500, 1), true);
        w.runUntil(() -> w.rec.receives.contains(a), S, "PSH completion");
        assertEquals(500, a.bytesTransferred(), "R-RECV-4: completed at the PSH");
        // no PSH: the push timer completes it, restarted by each arrival (R-RECV-6)
        ReceiveRequest b = w.post(o, 10_000, false);
        w.run(MS);
        long t0 = w.sim.nowNs();
        off = inject(w, c, off, ChimneyWorld.pattern(300, 2), false);
        w.run(200 * MS);
        off = inject(w, c, off, ChimneyWorld.pattern(300, 3), false);
        w.runUntil(() -> w.rec.receives.contains(b), 2 * S, "push timer completion");
        long at = completedAt(w, b) - t0;
        assertEquals(600, b.bytesTransferred());
        assertTrue(at >= (200 + PUSH_TICKS) * MS && at <= (201 + PUSH_TICKS) * MS,
                "R-RECV-6/R-TIMER-15/R-CAP-2: TcpPushTicks after the last arrival, got " + at / MS + " ms");
        // a push-mode post already holding bytes starts the timer at once (R-RECV-6)
        ReceiveRequest held = new ReceiveRequest(new byte[100], 0, 100, false, 10);
        w.rec.receiveOwner.put(held, o.tcp);
        long t1 = w.sim.nowNs();
        w.call(() -> w.target.tcpReceive(o.context(), held));
        w.runUntil(() -> w.rec.receives.contains(held), 2 * S, "the held bytes' completion");
        assertEquals(PUSH_TICKS * MS, completedAt(w, held) - t1, "R-RECV-6: started at the post");
    }

    @Test
    void rRecv5_aNonPushBufferCompletesOnlyWhenFull() {
        ChimneyWorld w = world(pushOptions());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        ReceiveRequest r = w.post(o, 1000, true);
        int off = inject(w, c, 0, ChimneyWorld.pattern(600, 1), true);
        w.run(2 * S);
        assertTrue(w.rec.receives.isEmpty(), "R-RECV-5: PSH ignored, no push timer");
        inject(w, c, off, ChimneyWorld.pattern(400, 2), false);
        w.runUntil(() -> w.rec.receives.contains(r), S, "full");
        assertEquals(1000, r.bytesTransferred());
    }

    @Test
    void rRecv7_rRind3_rRind6_rRind8_rDlv2_rState10_zeroByteRequestsAndRefusedData() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        ReceiveRequest zero = w.post(o, 0, false);
        w.runUntil(() -> w.rec.receives.contains(zero), S, "the zero-byte completion");
        assertEquals(OffloadStatus.SUCCESS, zero.status(), "R-RECV-7");
        assertEquals(0, zero.bytesTransferred());
        w.rec.indicationPolicy = (h, d) -> ReceiveIndication.Result.NONE;
        byte[] first = ChimneyWorld.pattern(2000, 1);
        int peerBase = c.peerEnd.connection.sndUna();
        w.peerWrite(c, first);
        w.run(300 * MS);
        assertEquals(1, w.rec.indications.size(), "refused once");
        byte[] second = ChimneyWorld.pattern(3000, 2);
        w.peerWrite(c, second);
        // peerWrite runs on the peer's loop later: wait for both writes' bytes to be acknowledged, not merely for an
        // empty send buffer (which it may still be before the second write runs)
        w.runUntil(() -> c.peerEnd.connection.sndUna() - peerBase == 5000
                && c.peerEnd.connection.unacknowledgedBytes() == 0, 2 * S, "all acknowledged");
        assertEquals(1, w.rec.indications.size(), "R-RIND-3/R-DLV-2: no new indication until a post");
        BlockList q = w.queryTcp(o);
        assertEquals(5000, q.receiveBacklogSize(), "R-STATE-10: bytes buffered in the target");
        assertEquals(c.peerEnd.connection.sndNxt(), c.peerEnd.connection.sndUna(),
                "R-RIND-8: acknowledged without waiting for the application");
        w.rec.indicationPolicy = (h, d) -> ReceiveIndication.Result.all(d.length());
        ReceiveRequest again = w.post(o, 0, false);
        w.runUntil(() -> w.delivered(o).length == 5000, S, "indications again after the zero-byte post");
        assertEquals(0, again.bytesTransferred(), "R-RIND-6: it consumed nothing");
        assertTrue(w.rec.indexOf("receive", again) < w.rec.log.size() - 1);
        assertArrayEquals(InitiateConformance.concat(first, second), w.delivered(o));
    }

    @Test
    void rRind5_rRind4_afterARefusalPostedBuffersAreFilledFirstAndThePartialRestComesBeforeNewerData() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.rec.indicationPolicy = (h, d) -> new ReceiveIndication.Result(OffloadStatus.OFFLOAD_DATA_PARTIALLY_ACCEPTED,
                100);
        byte[] first = ChimneyWorld.pattern(1500, 1);
        w.peerWrite(c, first);
        w.run(300 * MS);
        assertEquals(100, w.delivered(o).length, "R-RIND-4: 100 taken");
        int indications = w.rec.indications.size();
        ReceiveRequest r = w.post(o, 1000, true);
        w.runUntil(() -> w.rec.receives.contains(r), S, "the post");
        assertEquals(indications, w.rec.indications.size(), "R-RIND-5: filled from the buffered data, no indication");
        w.rec.indicationPolicy = (h, d) -> ReceiveIndication.Result.all(d.length());
        byte[] second = ChimneyWorld.pattern(2000, 2);
        w.peerWrite(c, second);
        w.runUntil(() -> w.delivered(o).length == 3500, S, "everything");
        assertArrayEquals(InitiateConformance.concat(first, second), w.delivered(o), "R-RIND-4: in order");
    }

    @Test
    void rRind1_rRind2_rRind9_indicationsAreStandaloneAndTheirBuffersAreNotReusedBeforeReturn() {
        ChimneyWorld w = world(ChimneyWorld.options().indicationBuffers(3));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.rec.returnIndicationsAtOnce = false;
        List<byte[]> copies = new ArrayList<>();
        w.rec.indicationPolicy = (h, d) -> {
            assertNull(d.next(), "R-RIND-1: one standalone NBL");
            copies.add(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()));
            return ReceiveIndication.Result.all(d.length());
        };
        for (int i = 0; i < 3; i++) {
            w.peerWrite(c, ChimneyWorld.pattern(700, i));
            w.run(300 * MS);
        }
        assertEquals(3, w.rec.indications.size());
        for (int i = 0; i < 3; i++) {
            ReceiveIndication ind = w.rec.indications.get(i);
            assertArrayEquals(copies.get(i), Arrays.copyOfRange(ind.buffer(), ind.offset(), ind.offset()
                    + ind.length()), "R-RIND-2: untouched while the host holds it");
            for (int j = 0; j < i; j++) {
                assertNotSame(w.rec.indications.get(j).buffer(), ind.buffer(), "R-RIND-2: not reused");
            }
        }
        // R-RIND-9: one receive-return with a chain of all three, then indications continue
        ReceiveIndication head = w.rec.indications.get(0);
        head.next(w.rec.indications.get(1));
        w.rec.indications.get(1).next(w.rec.indications.get(2));
        w.call(() -> w.target.tcpReceiveReturn(head));
        w.rec.returnIndicationsAtOnce = true;
        w.peerWrite(c, ChimneyWorld.pattern(700, 9));
        w.runUntil(() -> w.delivered(o).length == 2800, S, "an indication after the return");
    }

    @ParameterizedTest(name = "RcvIndicationSize {0}")
    @ValueSource(ints = {0, 100})
    void rRind7_indicationsOfAboutRcvIndicationSize(int size) {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().cached(k -> new dev.chimney.tcp.TcpCached(
                k.keepAliveEnabled(), k.naglingEnabled(), k.initialRcvWnd(), size, k.kaProbeCount(),
                k.kaTimeoutTicks(), k.kaIntervalTicks(), k.maxRtTicks(), k.flowLabel(), k.ttlOrHopLimit(),
                k.tosOrTrafficClass(), k.userPriority())));
        byte[] data = ChimneyWorld.pattern(1000, 1);
        w.peerWrite(c, data);
        w.runUntil(() -> w.delivered(o).length == 1000, S, "the data");
        if (size == 0) {
            assertEquals(1, w.rec.indications.size(), "R-RIND-7: everything at once");
        } else {
            assertEquals(10, w.rec.indications.size(), "R-RIND-7: about RcvIndicationSize each");
            assertTrue(w.rec.indications.stream().allMatch(i -> i.length() == 100));
        }
        assertArrayEquals(data, w.delivered(o));
    }

    // spec §8: R-RECV-10
    @Test
    void rRecv10_aPostFromInsideAReceiveCompletionDoesNotReenterIt() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        int[] reposts = {0};
        w.rec.onReceiveComplete = r -> {
            if (reposts[0]++ < 20) {
                w.post(o, 1000, true); // the recorder fails if a completion or indication nests inside
            }
        };
        w.post(o, 1000, true);
        byte[] data = ChimneyWorld.pattern(15_000, 3);
        w.peerWrite(c, data);
        w.runUntil(() -> w.delivered(o).length == 15_000, 5 * S, "all data through reposted buffers");
        assertArrayEquals(data, w.delivered(o));
        assertTrue(w.rec.indications.isEmpty(), "buffers were always posted in time");
    }

    @Test
    void rDlv3_rDlv4_rDlv5_rDlv6_indicateWhenNothingIsPostedAndTheTimerStopsWhenABufferCompletes() {
        ChimneyWorld w = world(pushOptions());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        int off = inject(w, c, 0, ChimneyWorld.pattern(400, 1), false);
        w.runUntil(() -> w.delivered(o).length == 400, S, "R-DLV-3: indicated");
        ReceiveRequest a = w.post(o, 1000, false);
        ReceiveRequest b = w.post(o, 5000, false);
        w.run(5 * MS);
        assertTrue(w.rec.receives.isEmpty(), "R-DLV-4");
        off = inject(w, c, off, ChimneyWorld.pattern(600, 2), false);
        w.run(100 * MS);
        long t1 = w.sim.nowNs();
        off = inject(w, c, off, ChimneyWorld.pattern(600, 3), false); // fills a, 200 into b
        w.runUntil(() -> w.rec.receives.contains(a), S, "a filled");
        w.runUntil(() -> w.rec.receives.contains(b), S, "b by the push timer");
        assertEquals(200, b.bytesTransferred());
        assertTrue(completedAt(w, b) - t1 >= PUSH_TICKS * MS, "R-DLV-5: a's completion stopped the timer started at"
                + " its first byte; b's runs from its own first byte");
        // R-DLV-6: a push timer expiring with nothing partly filled changes nothing
        ReceiveRequest empty = w.post(o, 100, false);
        w.run(2 * PUSH_TICKS * MS);
        assertTrue(!w.rec.receives.contains(empty), "R-DLV-6");
        assertEquals(off, w.delivered(o).length);
    }

    // spec §8: R-DLV-1
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void rDlv7_rDlv1_randomPostsRefusalsAndSegmentsDeliverTheExactStream(long seed) {
        ChimneyWorld w = world(ChimneyWorld.options().seed(seed).impairments(dev.chimney.link.Impairments.NONE
                .withDelay(MS, 0).withLoss(0.01).withReordering(0.02, 2 * MS)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        SeededRandom rnd = new SeededRandom(seed * 7919);
        w.rec.indicationPolicy = (h, d) -> switch (rnd.nextInt(3)) {
            case 0 -> ReceiveIndication.Result.NONE;
            case 1 -> d.length() > 1 ? new ReceiveIndication.Result(OffloadStatus.OFFLOAD_DATA_PARTIALLY_ACCEPTED,
                    1 + rnd.nextInt(d.length() - 1)) : ReceiveIndication.Result.all(d.length());
            default -> ReceiveIndication.Result.all(d.length());
        };
        byte[] data = ChimneyWorld.pattern(150_000, (int) seed);
        int written = 0;
        while (written < data.length) {
            int n = Math.min(data.length - written, 1 + rnd.nextInt(20_000));
            w.peerWrite(c, Arrays.copyOfRange(data, written, written + n));
            written += n;
            for (int k = rnd.nextInt(3); k > 0; k--) {
                int size = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(8000);
                w.post(o, size, rnd.nextInt(2) == 0);
            }
            w.run(rnd.nextInt(30) * MS);
        }
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.run(2 * S); // refused data may hold the window shut: posts take the rest

        for (int i = 0; i < 100 && w.delivered(o).length < data.length; i++) {
            w.post(o, 8000, false);
            w.run(50 * MS);
        }
        w.runUntil(() -> w.delivered(o).length == data.length, 10 * S, "every byte");
        assertArrayEquals(data, w.delivered(o), "R-DLV-7: no loss, duplication or reordering");
    }
}
