package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.link.Impairments;
import dev.chimney.runtime.SeededRandom;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connection moved back and forth between the host stack and the target, many times, mid-transfer, under loss:
 * both byte streams arrive exact (the acceptance, and R-OFF-21 / R-TERM-10 / R-TERM-12 under stress). On
 * the fault-injecting target, completions are delayed and offloads fail at random too. Plus the status-indication
 * API the next issue builds on (§8.10).
 */
abstract class MovesConformance extends SpecialReceiveConformance {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13, 14, 15, 16})
    void connectionMovedBackAndForthUnderLossKeepsBothStreamsExact(long seed) {
        ChimneyWorld w = world(ChimneyWorld.options().seed(seed).impairments(Impairments.NONE.withDelay(MS, 0)
                .withLoss(0.01).withReordering(0.01, 2 * MS)));
        FaultInjectingTarget f = w.tut.faults();
        if (f != null) {
            f.delayCompletions(3 * MS).failAllocations(0.1, OffloadStatus.OFFLOAD_TCP_XMIT_BUFFER);
        }
        SeededRandom rnd = new SeededRandom(seed);
        ChimneyWorld.Conn c = w.connect(seed % 2 == 0);
        ByteArrayOutputStream appGot = new ByteArrayOutputStream();
        byte[] up = ChimneyWorld.pattern(400_000, (int) seed);
        byte[] down = ChimneyWorld.pattern(300_000, (int) seed + 1);
        int sentUp = 0;
        int sentDown = 0;
        int moves = 0;
        int failedOffloads = 0;
        for (int round = 0; round < 12; round++) {
            // on the host
            int chunk = Math.min(up.length - sentUp, rnd.nextInt(30_000));
            byte[] part = Arrays.copyOfRange(up, sentUp, sentUp + chunk);
            w.hostLoop.execute(() -> w.hostWrite(c, part));
            sentUp += chunk;
            int d = Math.min(down.length - sentDown, rnd.nextInt(25_000));
            w.peerWrite(c, Arrays.copyOfRange(down, sentDown, sentDown + d));
            sentDown += d;
            w.run(rnd.nextInt(100) * MS);
            // offload (mid-transfer: data in flight both ways)
            w.hostLoop.execute(() -> c.hostEnd.readAll(c.hostConn));
            w.run(0);
            appGot.writeBytes(c.hostEnd.received.toByteArray());
            c.hostEnd.received.reset();
            ChimneyWorld.Offloaded o = w.prepare(c, 1 + rnd.nextInt(4));
            w.initiate(o.root);
            if (o.tcpNode.status() != OffloadStatus.SUCCESS) {
                failedOffloads++;
                w.restore(o);
                continue;
            }
            moves++;
            for (int k = rnd.nextInt(3); k >= 0; k--) {
                int n = Math.min(up.length - sentUp, rnd.nextInt(40_000));
                if (n > 0) {
                    w.send(o, Arrays.copyOfRange(up, sentUp, sentUp + n));
                    sentUp += n;
                }
                int m = Math.min(down.length - sentDown, rnd.nextInt(30_000));
                w.peerWrite(c, Arrays.copyOfRange(down, sentDown, sentDown + m));
                sentDown += m;
                if (rnd.nextInt(2) == 0) {
                    w.post(o, 1 + rnd.nextInt(20_000), rnd.nextInt(2) == 0);
                }
                w.run(rnd.nextInt(80) * MS);
            }
            BlockList t = w.terminate(o);
            assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status());
            w.run(10 * MS); // late completions (delayed ones) arrive before the data is accounted
            appGot.writeBytes(w.delivered(o));
            w.uploadBack(o, t);
        }
        int expectUp = sentUp;
        int expectDown = sentDown;
        w.runUntil(() -> c.peerEnd.received.size() == expectUp, 60 * S, "the upload stream");
        w.runUntil(() -> appGot.size() + c.hostEnd.received.size() == expectDown, 60 * S, "the download stream");
        appGot.writeBytes(c.hostEnd.received.toByteArray());
        assertArrayEquals(Arrays.copyOf(up, sentUp), c.peerEnd.received.toByteArray(), "upload: seed " + seed);
        assertArrayEquals(Arrays.copyOf(down, sentDown), appGot.toByteArray(), "download: seed " + seed);
        assertTrue(moves >= 4, "it really moved: " + moves + " moves, " + failedOffloads + " failed offloads");
        if (f != null) {
            assertTrue(f.completionsDelayed > 0, "faults were injected");
        }
    }

    @Test
    void rPause2_rPause3_rPause5_rUpload5_rUpload6_theStatusIndicationApi() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        w.tut.indicate().accept(StatusIndication.OFFLOAD_PAUSE);
        w.runUntil(() -> w.rec.statusIndications.contains(StatusIndication.OFFLOAD_PAUSE), S, "PAUSE");
        // an initiate already on its way is accepted and queued, not failed (R-PAUSE-2/3)
        ChimneyWorld.Offloaded late = w.prepare(w.connect(false), 1);
        w.call(() -> w.target.initiateOffload(late.root));
        w.run(100 * MS);
        assertTrue(!w.rec.initiated.contains(late.root), "queued while paused");
        SendRequest s1 = w.send(a, ChimneyWorld.pattern(1000, 1)); // R-PAUSE-1: the existing one runs on
        w.runUntil(() -> w.rec.sends.contains(s1), S, "a send while paused");
        assertEquals(OffloadStatus.SUCCESS, s1.status());
        w.tut.indicate().accept(StatusIndication.OFFLOAD_RESUME);
        w.runUntil(() -> w.rec.initiated.contains(late.root), S, "R-PAUSE-3: completed after RESUME");
        assertEquals(OffloadStatus.SUCCESS, late.tcpNode.status());
        // UPLOAD_ALL: new I/O gets UPLOAD_IN_PROGRESS, never PAUSED (R-PAUSE-5, R-UPLOAD-5)
        w.tut.indicate().accept(StatusIndication.UPLOAD_ALL);
        w.runUntil(() -> w.rec.statusIndications.contains(StatusIndication.UPLOAD_ALL), S, "UPLOAD_ALL");
        SendRequest s2 = w.send(a, new byte[10]);
        ReceiveRequest r = w.post(late, 100, false);
        w.runUntil(() -> w.rec.sends.contains(s2) && w.rec.receives.contains(r), S, "the refusals");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s2.status());
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, r.status());
        // the host uploads everything in several terminates, paths and neighbors after their connections
        w.terminate0(BlockList.reference(dev.chimney.chimney.StateLayer.TCP, a.tcp, BlockList.DELEGATED));
        w.terminate0(BlockList.reference(dev.chimney.chimney.StateLayer.TCP, late.tcp, BlockList.DELEGATED));
        BlockList rest = w.terminate0(BlockList.reference(dev.chimney.chimney.StateLayer.NEIGHBOR, a.neighbor, 0)
                .dependent(w.pathRef(a, 0)).link(BlockList.reference(dev.chimney.chimney.StateLayer.NEIGHBOR,
                        late.neighbor, 0).dependent(w.pathRef(late, 0))));
        for (BlockList b : rest.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "R-UPLOAD-4/6: " + b);
        }
        assertTrue(w.rec.statusIndications.stream().noneMatch(x -> x == null));
    }

    @Test
    void rPause5_aSendWhilePausedWithAnUploadAllPendingCompletesUploadInProgressNeverPaused() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        w.tut.indicate().accept(StatusIndication.OFFLOAD_PAUSE);
        w.tut.indicate().accept(StatusIndication.UPLOAD_ALL);
        w.runUntil(() -> w.rec.statusIndications.size() == 2, S, "PAUSE, UPLOAD_ALL");
        SendRequest s = w.send(a, ChimneyWorld.pattern(500, 3), ChimneyWorld.pattern(700, 4));
        w.runUntil(() -> w.rec.sends.contains(s) && w.rec.sends.contains(s.next()), S, "the send completions");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.status(), "R-PAUSE-5");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.next().status(), "R-PAUSE-5");
        BlockList t = w.terminate(a);
        assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status());
    }

    @Test
    void wa31_initiatesQueuedDuringPauseAreProcessedWhenUploadAllArrives_andAreUploadedLikeTheRest() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(true);
        w.tut.indicate().accept(StatusIndication.OFFLOAD_PAUSE);
        w.runUntil(() -> w.rec.statusIndications.size() == 1, S, "PAUSE");
        ChimneyWorld.Offloaded late = w.prepare(c, 2);
        w.call(() -> w.target.initiateOffload(late.root));
        w.run(50 * MS);
        assertFalse(w.rec.initiated.contains(late.root), "queued while paused (R-PAUSE-2)");
        w.tut.indicate().accept(StatusIndication.UPLOAD_ALL);
        w.runUntil(() -> w.rec.initiated.contains(late.root), S, "completed during the upload-all (WA 31)");
        for (BlockList b : late.root.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "processed normally: " + b);
        }
        int indexOfUploadAll = indexOf(w, "status", StatusIndication.UPLOAD_ALL);
        assertTrue(indexOf(w, "initiate", late.root) > indexOfUploadAll, "after the UPLOAD_ALL reached the host");
        SendRequest s = SendRequest.of(new byte[100]); // refused, so not part of the stream the peer must see
        w.call(() -> w.target.tcpSend(late.context(), s));
        w.runUntil(() -> w.rec.sends.contains(s), S, "the send completion");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.status(), "it is part of the upload-all");
        BlockList t = w.terminate(late);
        for (BlockList b : t.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "R-UPLOAD-6: " + b);
        }
        w.uploadBack(late, t);
        byte[] tail = ChimneyWorld.pattern(20_000, 7);
        w.hostLoop.execute(() -> w.hostWrite(c, tail));
        w.runUntil(() -> c.peerEnd.received.size() == c.hostSent.size(), 10 * S, "the stream after the upload");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
    }

    @Test
    void rResume4_aResumeAskedForDuringAnUploadAllFollowsTheLastTerminateCompletion() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        ChimneyWorld.Offloaded b = w.offload(w.connect(true));
        w.tut.indicate().accept(StatusIndication.UPLOAD_ALL);
        w.tut.indicate().accept(StatusIndication.OFFLOAD_RESUME);
        w.run(50 * MS);
        assertEquals(List.of(StatusIndication.UPLOAD_ALL), w.rec.statusIndications, "held: objects remain");
        w.terminate(a);
        w.run(50 * MS);
        assertEquals(1, w.rec.statusIndications.size(), "still held: " + w.rec.statusIndications);
        BlockList last = w.terminate(b);
        w.runUntil(() -> w.rec.statusIndications.size() == 2, S, "the RESUME");
        assertEquals(StatusIndication.OFFLOAD_RESUME, w.rec.statusIndications.getLast());
        assertTrue(indexOf(w, "status", StatusIndication.OFFLOAD_RESUME) > indexOf(w, "terminate", last),
                "after the last NdisMTerminateOffloadComplete (R-RESUME-4)");
    }

    @Test
    void rPause7_anIndicationRaisedWhileAnInitiateIsBeingProcessedFollowsItsCompletion() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded o = w.prepare(w.connect(false), 2);
        // the initiate and the indication reach the target in the same instant, the initiate first
        w.call(() -> w.target.initiateOffload(o.root));
        w.tut.indicate().accept(StatusIndication.OFFLOAD_PAUSE);
        w.runUntil(() -> w.rec.statusIndications.size() == 1 && w.rec.initiated.contains(o.root), S, "both");
        assertTrue(indexOf(w, "initiate", o.root) < indexOf(w, "status", StatusIndication.OFFLOAD_PAUSE),
                "no status indication while the offload is in progress (R-PAUSE-7, WA 30)");
        assertEquals(OffloadStatus.SUCCESS, o.tcpNode.status(), "not queued: it arrived before the PAUSE");
    }

    // spec §8: R-SEND-4
    @Test
    void rUpload5_rSend4_aSendRefusedDuringAnUploadAllBehindOutstandingSendsNeverOvertakesThem() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        w.cut(true, false); // nothing reaches the peer: the first send stays unacknowledged
        SendRequest first = w.send(a, ChimneyWorld.pattern(3000, 5));
        w.run(5 * MS);
        w.tut.indicate().accept(StatusIndication.UPLOAD_ALL);
        w.runUntil(() -> w.rec.statusIndications.contains(StatusIndication.UPLOAD_ALL), S, "UPLOAD_ALL");
        SendRequest second = w.send(a, ChimneyWorld.pattern(700, 6));
        w.run(20 * MS);
        assertTrue(!w.rec.sends.contains(second) || w.rec.sends.contains(first)
                && w.rec.sends.indexOf(first) < w.rec.sends.indexOf(second),
                "spec §4.1.3: completions in posting order, a refusal included");
        BlockList t = w.terminate(a);
        if (!w.rec.sends.contains(second)) {
            // both went back with the terminate, in posting order (one way only, spec §9 item 25)
            assertTrue(ChimneyWorld.tcpNode(t).sendChain() != null);
            List<SendRequest> back = new java.util.ArrayList<>();
            for (SendRequest r = ChimneyWorld.tcpNode(t).sendChain(); r != null; r = r.next()) {
                back.add(r);
            }
            assertTrue(back.indexOf(first) >= 0 && back.indexOf(first) < back.indexOf(second), back.toString());
        }
        w.cut(false, false);
        w.uploadBack(a, t);
        w.runUntil(() -> a.conn.peerEnd.received.size() == a.conn.hostSent.size(), 30 * S, "the stream");
        assertArrayEquals(a.conn.hostSent.toByteArray(), a.conn.peerEnd.received.toByteArray());
    }

    private static int indexOf(ChimneyWorld w, String kind, Object subject) {
        for (int i = 0; i < w.rec.log.size(); i++) {
            HostRecorder.Call call = w.rec.log.get(i);
            if (call.kind().equals(kind) && call.subject() == subject) {
                return i;
            }
        }
        throw new AssertionError("no " + kind + " of " + subject + " in " + w.rec.log);
    }
}
