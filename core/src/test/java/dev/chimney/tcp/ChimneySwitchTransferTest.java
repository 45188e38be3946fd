package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.cc.CongestionControls;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chimney's logical switch end to end (spec §1.1, §3.1, §3.2): host stack H offloads a live connection to a
 * second engine T (the "target", its own loop on another clock base) and takes it back, while the application keeps
 * talking to H's connection object; a test-local offload manager moves the bytes between H's buffers and T's
 * connection as chimney send and receive requests would. The wire towards the peer P delivers to T while the
 * connection is offloaded and to H otherwise. Checks: byte-exact streams both ways, and — without loss — a peer
 * that sees exactly the segments, at the same times, of a twin run that never moved.
 */
class ChimneySwitchTransferTest {
    static final IpAddress A = Ipv4Address.parse("10.77.3.1");
    static final IpAddress B = Ipv4Address.parse("10.77.3.2");
    static final long MS = 1_000_000L;

    /**
     * A minimal offload manager. Offload: park H's connection, import the snapshot into T. Send path: bytes the
     * application queues on H are written into T's connection; T's acknowledged progress releases them from H
     * (send completion after acknowledgment, spec §4.1.3). Receive path: T's readable bytes are read (in the
     * application's chunk size) and delivered into H's ring while it has room. Notes: the peer's FIN once every byte
     * was delivered (TcpIndicateDisconnect), our FIN acknowledged (graceful disconnect complete). Terminate: export
     * T's connection, detach it, resume H with the delegated state and T's unread bytes.
     */
    static final class MiniChimney implements TcpConnection.DataPath, TcpConnection.Listener {
        final TcpStack host;
        TcpStack target;
        TcpConnection h;
        TcpConnection t;
        /** Bytes of H's send buffer written into T and not yet released. */
        int inTarget;
        boolean finRequested;
        boolean finGiven;
        boolean peerFinNoted;
        boolean finAckNoted;
        boolean targetClosed;
        /** Segments the host received for the parked connection: forwarded later instead of at once (spec §4.7). */
        boolean forwardLater;
        /**
         * Send completions lag: T's acknowledged progress is released to H only at some driver steps, so a terminate
         * without a sync returns a SND.UNA past the bytes the host still holds (trimmed by resume, R-TERM-10).
         */
        SeededRandom lazyRelease;
        /** The offload in progress fails: segments are held for the host (spec §3.1.2), then unpark. */
        boolean holding;
        final ArrayDeque<TcpSegment> held = new ArrayDeque<>();
        final byte[] readChunk = new byte[4096]; // StreamApp's read size, so T sees the reads the twin's H saw
        final byte[] writeChunk;
        private boolean pulling;
        private boolean pushing;
        int offloads;
        int terminates;
        /** Offloads and terminates made while the engine was in a loss-recovery episode. */
        int movesInRecovery;
        int forwarded;
        int trimmedTerminates;
        long bytesWritten;
        long bytesDelivered;
        long snapshotsInFlight;

        MiniChimney(TcpStack host, TcpConfig config) {
            this.host = host;
            this.writeChunk = new byte[config.sendBufferBytes]; // one T write per application write
        }

        boolean offloaded() {
            return t != null;
        }

        TcpSnapshot offload(TcpStack to) {
            target = to;
            TcpSnapshot snap = h.park(this);
            TcpState s = snap.delegated().state();
            t = TcpConnection.importFrom(snap, to, this);
            inTarget = snap.delegated().sendDataLength();
            bytesWritten += inTarget;
            if (snap.delegated().sndMax() != snap.delegated().sndUna()) {
                snapshotsInFlight++;
            }
            finRequested = s.finQueued();
            finGiven = finRequested;
            peerFinNoted = s == TcpState.CLOSE_WAIT || s == TcpState.CLOSING || s == TcpState.LAST_ACK;
            finAckNoted = s == TcpState.FIN_WAIT_2;
            targetClosed = false;
            offloads++;
            return snap;
        }

        /** Takes the connection back; {@code sync} first releases what T completed (else resume trims it). */
        void terminate(boolean sync) {
            if (sync) {
                syncNotes();
            }
            if (t.unacknowledgedBytes() < inTarget) {
                trimmedTerminates++;
            }
            TcpSnapshot back = t.export();
            t.detach();
            t = null;
            h.resume(back.delegated(), back.delegated().receivedData());
            terminates++;
            drainHeld(h);
        }

        /** Starts an offload that will fail: the host holds what arrives meanwhile (spec §3.1.2). */
        void beginFailingOffload() {
            h.park(this);
            holding = true;
        }

        void failOffload() {
            holding = false;
            h.unpark();
            drainHeld(h);
        }

        private void drainHeld(TcpConnection to) {
            while (!held.isEmpty()) {
                TcpSegment s = held.poll();
                to.onSegment(to == h ? host.nowNs() : target.nowNs(), s);
                forwarded++;
            }
        }

        /** Driver step: deferred forwards, releases and notes that no event announced. */
        void step() {
            if (t == null) {
                return;
            }
            drainHeld(t);
            if (t != null) {
                if (lazyRelease == null || lazyRelease.chance(0.2)) {
                    syncNotes();
                } else {
                    pull();
                }
            }
            if (t != null && targetClosed) {
                terminate(true); // the connection ended on the target (TIME_WAIT, a close, a reset, a time-out)
            }
        }

        void syncNotes() {
            release();
            pull();
            TcpState ts = t.state();
            boolean finAcked = ts == TcpState.FIN_WAIT_2 || ts == TcpState.TIME_WAIT
                    || (ts == TcpState.CLOSED && t.closeReason() == CloseReason.NORMAL);
            if (finGiven && !finAckNoted && finAcked && h.sendBytes() == 0) {
                finAckNoted = true;
                h.finAcknowledged();
            }
        }

        private void release() {
            int done = inTarget - t.unacknowledgedBytes();
            if (done > 0) {
                inTarget -= done;
                h.releaseSendData(done);
            }
        }

        private void pull() {
            if (pulling || t == null) {
                return;
            }
            pulling = true;
            try {
                while (t.readableBytes() > 0) {
                    int room = h.receiveSpace();
                    if (room == 0) {
                        break;
                    }
                    int n = t.read(readChunk, 0, Math.min(readChunk.length, room));
                    if (n <= 0) {
                        break;
                    }
                    int took = h.deliverReceived(readChunk, 0, n);
                    bytesDelivered += took;
                    assertEquals(n, took, "deliverReceived takes what receiveSpace() allowed");
                }
                if (!peerFinNoted && t.isEndOfStream()) {
                    peerFinNoted = true;
                    h.peerFinReceived();
                }
            } finally {
                pulling = false;
            }
        }

        private void push() {
            if (pushing || t == null) {
                return;
            }
            pushing = true;
            try {
                while (inTarget < h.sendBytes() && t.state().canSend()) {
                    int n = Math.min(Math.min(writeChunk.length, h.sendBytes() - inTarget), t.writableBytes());
                    if (n == 0) {
                        break;
                    }
                    h.copySendData(inTarget, n, writeChunk, 0);
                    int w = t.write(writeChunk, 0, n);
                    inTarget += w;
                    bytesWritten += w;
                }
                if (finRequested && !finGiven && inTarget == h.sendBytes() && t.state().canSend()) {
                    finGiven = true;
                    t.shutdownOutput(); // graceful disconnect after the last send request
                }
            } finally {
                pushing = false;
            }
        }

        // ---- DataPath: what the application did on H ----

        @Override
        public void onSendQueued(TcpConnection c) {
            push();
        }

        @Override
        public void onReceiveSpace(TcpConnection c) {
            pull();
        }

        @Override
        public void onShutdownOutput(TcpConnection c) {
            finRequested = true;
            push();
        }

        @Override
        public void onAbort(TcpConnection c) {
            if (t != null) {
                t.abort(); // abortive disconnect: the target sends the RST (spec §4.5.2)
            }
        }

        @Override
        public void onSegment(TcpConnection c, long nowNs, TcpSegment segment) {
            if (holding || forwardLater || t == null) {
                held.add(segment.copy()); // the carrier is reused by the host's input path
            } else {
                t.onSegment(target.nowNs(), segment);
                forwarded++;
            }
        }

        // ---- Listener of T's connection: what the target did ----

        @Override
        public void onReadable(TcpConnection c) {
            pull();
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (lazyRelease == null) {
                release();
            }
            push();
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            targetClosed = true;
        }
    }

    /**
     * Watches what the connection's side transmits, whichever engine runs it: TSvals never go backwards (R-TS-6),
     * and nothing leaves the host engine while it is parked.
     */
    static final class Watch implements TcpOutput {
        final TcpOutput inner;
        MiniChimney chimney;
        int tsSeen;
        int lastTsVal;
        final List<String> violations = new ArrayList<>();

        Watch(TcpOutput inner) {
            this.inner = inner;
        }

        @Override
        public void transmit(IpAddress source, IpAddress destination, TcpSegment segment, TcpCached ipParams) {
            if (segment.hasTimestamp()) {
                if (tsSeen > 0 && Seq.lt(segment.tsVal(), lastTsVal)) {
                    violations.add("TSval " + Integer.toUnsignedString(segment.tsVal()) + " after "
                            + Integer.toUnsignedString(lastTsVal) + " in " + segment);
                }
                tsSeen++;
                lastTsVal = segment.tsVal();
            }
            inner.transmit(source, destination, segment, ipParams);
        }

        /** The host engine's output: checks it is not parked, then joins the side's line. */
        TcpOutput host() {
            return new TcpOutput() {
                @Override
                public void transmit(IpAddress src, IpAddress dst, TcpSegment segment, TcpCached ipParams) {
                    if (chimney != null && chimney.h != null && chimney.h.isParked()) {
                        violations.add("host engine transmitted while parked: " + segment);
                    }
                    Watch.this.transmit(src, dst, segment, ipParams);
                }

                @Override
                public int pathMtu(IpAddress src, IpAddress dst) {
                    return inner.pathMtu(src, dst);
                }
            };
        }

        @Override
        public int pathMtu(IpAddress source, IpAddress destination) {
            return inner.pathMtu(source, destination);
        }
    }

    /**
     * Where the connection moves, as fractions of all the bytes the two applications receive (-1 = as soon as it is
     * ESTABLISHED); moves alternate offload / terminate. A connection still offloaded at the end is terminated when
     * it ends on the target (TIME_WAIT or CLOSED).
     */
    record Plan(double[] movesAt, boolean lossy, double passUp, boolean onlyInRecovery) {
        Plan(double[] movesAt, boolean lossy, double passUp) {
            this(movesAt, lossy, passUp, false);
        }
    }

    record Result(List<List<String>> wireLog, byte[] hReceived, byte[] pReceived, int offloads, int terminates,
            MiniChimney chimney, Watch side0) {
    }

    static final class Setup {
        final ExportImportTest.Driver drv = new ExportImportTest.Driver();
        final TestWire wire;
        final TcpStack stackH;
        final TcpStack stackP;
        final TcpStack[] targets;
        final StreamApp appH;
        final StreamApp appP;
        final MiniChimney chimney;
        final Watch side0;
        final EventLoop loopP;

        Setup(long seed, TcpConfig config, long delayNs, long jitterNs, double loss, byte[] hData, byte[] pData,
                double passUp) {
            EventLoop wireLoop = drv.loop("wire", 0);
            EventLoop loopH = drv.loop("h", 0);
            loopP = drv.loop("p", 0);
            // targets on other clock bases: timer deltas and TsTime are converted, never copied (spec §6.0, §6.10)
            EventLoop loopT1 = drv.loop("t1", ExportImportTest.OFFSET_NS);
            EventLoop loopT2 = drv.loop("t2", 3 * MS);
            wire = new TestWire(drv.base, new SeededRandom(seed * 31 + 1), delayNs, jitterNs, loss);
            wire.logging = true;
            wireLoop.register(wire);
            side0 = new Watch(wire.output(0));
            stackH = new TcpStack(loopH, config, side0.host(), new SeededRandom(seed + 1));
            stackP = new TcpStack(loopP, config, wire.output(1), new SeededRandom(seed + 2));
            targets = new TcpStack[] {new TcpStack(loopT1, config, side0, new SeededRandom(seed + 3)),
                new TcpStack(loopT2, config, side0, new SeededRandom(seed + 4))};
            chimney = new MiniChimney(stackH, config);
            side0.chimney = chimney;
            SeededRandom routing = new SeededRandom(seed * 7 + 5);
            // the peer's segments reach the target while offloaded; now and then the target passes one up the
            // non-offload path to the host, which hands it to the manager (spec §6.11.2, §4.7)
            wire.router = side -> side == 1 ? stackP
                    : chimney.offloaded() && !(passUp > 0 && routing.chance(passUp)) ? chimney.target : stackH;
            appH = new StreamApp(hData);
            appP = new StreamApp(pData);
            stackP.listen(B, 80, l -> appP.attach(l.accept()));
            appH.connection = stackH.connect(A, B, 80, appH);
            chimney.h = appH.connection;
        }

        long progress() {
            return appH.received.size() + appP.received.size();
        }

        /** The host engine carries the connection again (terminated or never offloaded). */
        void assertBackOnHost(String ctx) {
            assertFalse(appH.connection.isParked(), "not parked at the end; " + ctx);
            for (TcpStack t : targets) {
                assertEquals(0, t.connectionCount(), "the target released the connection; " + ctx);
            }
            assertEquals(List.of(), side0.violations, ctx);
        }
    }

    static TcpConfig config(SeededRandom r, boolean lossy) {
        return config(r, lossy, false);
    }

    static TcpConfig config(SeededRandom r, boolean lossy, boolean forceSack) {
        boolean sack = r.chance(0.5) || forceSack;
        boolean timestamps = !lossy || r.chance(0.5);
        boolean windowScaling = r.chance(0.5);
        int receiveBuffer = 32_768 + r.nextInt(100_000);
        int sendBuffer = 32_768 + r.nextInt(100_000);
        // Buffers start at their maxima: autotuning is engine-internal and not carried (TcpConnection class
        // Javadoc), so on the target a moved connection's buffers would restart from the initial sizes and its
        // windows would differ from the twin's. Moves with autotuning on are covered by BufferAutotuningTest.
        TcpConfig.Builder cb = TcpConfig.builder().timestamps(timestamps).sack(sack).windowScaling(windowScaling)
                .receiveBufferBytes(receiveBuffer).initialReceiveBufferBytes(receiveBuffer)
                .sendBufferBytes(sendBuffer).initialSendBufferBytes(sendBuffer).keepAlive(true)
                .keepAliveIdleNs(500 * MS).keepAliveIntervalNs(100 * MS);
        if (lossy) {
            cb.congestionAlgorithm(r.chance(0.5) ? CongestionControls.Algorithm.CUBIC
                    : CongestionControls.Algorithm.NEWRENO);
        } else {
            cb.congestionControl(() -> new FixedWindowControl(24 * 1024));
        }
        return cb.build();
    }

    /** One transfer; {@code move} follows the plan, else the twin never leaves the host. */
    static Result run(Plan plan, long seed, boolean move) {
        SeededRandom r = new SeededRandom(seed);
        long delay = (2 + r.nextInt(20)) * MS;
        TcpConfig config = config(r, plan.lossy, plan.onlyInRecovery);
        byte[] hData = new byte[100_000 + r.nextInt(250_000)];
        // both directions carry data; on a lossy path the one towards H is smaller so both finish together
        byte[] pData = new byte[plan.lossy ? r.nextInt(60_000) : r.nextInt(300_000)];
        r.nextBytes(hData);
        r.nextBytes(pData);
        long jitter = plan.lossy ? delay / 2 : 0;
        Setup s = new Setup(seed, config, delay, jitter, plan.lossy ? 0.01 : 0, hData, pData, move ? plan.passUp : 0);
        MiniChimney ch = s.chimney;
        ch.forwardLater = plan.lossy;
        if (plan.lossy && seed % 2 == 0) {
            ch.lazyRelease = new SeededRandom(seed * 17 + 3);
        }
        long total = hData.length + pData.length;
        SeededRandom moveRandom = new SeededRandom(seed * 13 + 7);
        int[] next = {0};
        Runnable afterStep = () -> {
            if (!move) {
                return;
            }
            ch.step();
            TcpConnection c = s.appH.connection;
            if (next[0] >= plan.movesAt.length) {
                return;
            }
            double at = plan.movesAt[next[0]];
            boolean due = at < 0 ? c.state().isSynchronized() : s.progress() >= at * total;
            // RACK-TLP's episodes (RFC 8985 fast or RTO recovery) travel with the connection: move only inside one
            TcpConnection engine = ch.offloaded() ? ch.t : c;
            if (!due || plan.onlyInRecovery && engine.recoveryPhase() == LossRecoveryState.Phase.OPEN) {
                return;
            }
            if (plan.onlyInRecovery) {
                ch.movesInRecovery++;
            }
            if (!ch.offloaded()) {
                // without loss the peer must see nothing of the move: wait for a moment without an owed ACK,
                // which a park would send early (R-HOST-2)
                if (offloadable(c.state()) && (plan.lossy || !c.ackPending())) {
                    ch.offload(s.targets[ch.offloads % 2]);
                    next[0]++;
                }
            } else if (ch.t.state() != TcpState.CLOSED && (plan.lossy || !ch.t.ackPending())) {
                ch.terminate(!plan.lossy || moveRandom.chance(0.5));
                next[0]++;
            }
        };
        boolean ok = s.drv.runUntil(() -> s.appH.done() && s.appP.done() && !ch.offloaded(), 3_000_000 * MS,
                afterStep);
        String ctx = "seed=" + seed + " move=" + move + " lossy=" + plan.lossy + " H=" + s.appH.connection + " P="
                + (s.appP.connection == null ? "-" : s.appP.connection.state()) + " offloads=" + ch.offloads
                + " terminates=" + ch.terminates;
        assertTrue(ok, "did not finish; " + ctx);
        assertArrayEquals(hData, s.appP.received.toByteArray(), "H->P bytes; " + ctx);
        assertArrayEquals(pData, s.appH.received.toByteArray(), "P->H bytes; " + ctx);
        s.assertBackOnHost(ctx);
        return new Result(s.wire.log, s.appH.received.toByteArray(), s.appP.received.toByteArray(), ch.offloads,
                ch.terminates, ch, s.side0);
    }

    static void assertTwinsMatch(Result twin, Result moved, String ctx) {
        assertArrayEquals(twin.hReceived, moved.hReceived, ctx);
        assertArrayEquals(twin.pReceived, moved.pReceived, ctx);
        for (int side = 0; side < 2; side++) {
            List<String> t = twin.wireLog.get(side);
            List<String> m = moved.wireLog.get(side);
            for (int i = 0; i < Math.min(t.size(), m.size()); i++) {
                assertEquals(t.get(i), m.get(i), "segment #" + i + " from " + (side == 0 ? "H" : "P") + "; " + ctx);
            }
            assertEquals(t.size(), m.size(), "segment count from " + (side == 0 ? "H" : "P") + "; " + ctx);
        }
    }

    static List<Object[]> twinCases() {
        List<Object[]> c = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            c.add(new Object[] {"offloaded at set-up, terminated when it ended", 11_000L + i});
            c.add(new Object[] {"offloaded mid-transfer, terminated when it ended", 12_000L + i});
            c.add(new Object[] {"offloaded at set-up, terminated mid-transfer", 13_000L + i});
            c.add(new Object[] {"offloaded and terminated three times mid-transfer", 14_000L + i});
        }
        return c;
    }

    static Plan twinPlan(String name, long seed) {
        SeededRandom r = new SeededRandom(seed * 3);
        double a = 0.05 + r.nextInt(400) / 1000.0;
        double[] at;
        if (name.startsWith("offloaded at set-up")) {
            at = name.endsWith("ended") ? new double[] {-1} : new double[] {-1, a};
        } else if (name.startsWith("offloaded mid")) {
            at = new double[] {a};
        } else {
            at = new double[] {a / 2, a, a + 0.1, a + 0.2, a + 0.3, a + 0.45};
        }
        return new Plan(at, false, 0);
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @MethodSource("twinCases")
    void peerCannotTellAMovedConnectionFromOneThatStayed(String name, long seed) {
        // spec §1.1 logical switch; R-OFF-17/18/19 (send data [SndUna,SndNxt) in flight, [SndNxt,SndMax) and unsent
        // data sent next, before later requests) and R-TERM-10/12 (send data and buffered receive data returned
        // in order) in both directions: any slip would show as a different segment on the wire
        Plan plan = twinPlan(name, seed);
        Result twin = run(plan, seed, false);
        Result moved = run(plan, seed, true);
        String ctx = name + " seed=" + seed;
        int expectedMoves = (plan.movesAt().length + 1) / 2;
        assertEquals(expectedMoves, moved.offloads, "offloads; " + ctx);
        assertEquals(expectedMoves, moved.terminates, "terminates; " + ctx);
        assertTwinsMatch(twin, moved, ctx);
        // not vacuous: live data moved with the connection, and the chimney carried the bytes
        assertTrue(moved.chimney.snapshotsInFlight > 0, "an offload took data in flight; " + ctx);
        if (name.endsWith("ended") && name.startsWith("offloaded at set-up")) {
            assertEquals(moved.hReceived.length, moved.chimney.bytesDelivered, "all received through the chimney");
        }
        assertTrue(moved.chimney.h.isEndOfStream());
    }

    static long[] lossySeeds() {
        long[] s = new long[20];
        for (int i = 0; i < s.length; i++) {
            s[i] = 21_000 + i;
        }
        return s;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("lossySeeds")
    void movedBackAndForthUnderLossAndReorderingDeliversExactBytes(long seed) {
        // 1% loss, jitter that reorders, segments passed up to the host and forwarded later, terminates that
        // trim send data the target had acknowledged without completing: no byte lost, duplicated or reordered
        lossyRun(seed);
    }

    static Result lossyRun(long seed) {
        SeededRandom r = new SeededRandom(seed * 5);
        int moves = 4 + r.nextInt(6);
        double[] at = new double[moves];
        at[0] = r.chance(0.5) ? -1 : 0.01;
        for (int i = 1; i < moves; i++) {
            at[i] = 0.8 * i / moves + r.nextInt(50) / 1000.0;
        }
        Result moved = run(new Plan(at, true, 0.1), seed, true);
        assertTrue(moved.offloads >= 2, "moved at least twice; seed=" + seed + " offloads=" + moved.offloads);
        assertEquals(moved.offloads, moved.terminates, "every offload ended in a terminate; seed=" + seed);
        return moved;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("lossySeeds")
    void movedOnlyInTheMiddleOfLossEpisodesDeliversExactBytes(long seed) {
        // every offload and terminate happens while the engine that has the connection is in RACK-TLP fast or RTO
        // recovery (RFC 8985): the episode's records, PRR and undo state, probe and reordering timers go with it
        // (LossRecoveryState), and no byte is lost, duplicated or reordered (run() checks both streams)
        Result moved = inRecoveryRun(seed);
        assertEquals(moved.offloads(), moved.terminates(), "every offload ended in a terminate; seed=" + seed);
    }

    @Test
    void theMovesInRecoveryHappen() {
        // not vacuous: across the seeds the connection did move, in recovery, many times
        int inRecovery = 0;
        int seeds = 0;
        for (long seed : lossySeeds()) {
            inRecovery += inRecoveryRun(seed).chimney().movesInRecovery;
            seeds++;
        }
        assertTrue(inRecovery >= 2 * seeds, "moves in recovery: " + inRecovery + " over " + seeds + " seeds");
    }

    static Result inRecoveryRun(long seed) {
        SeededRandom r = new SeededRandom(seed * 11);
        int moves = 6;
        double[] at = new double[moves];
        for (int i = 0; i < moves; i++) {
            at[i] = 0.7 * i / moves + r.nextInt(50) / 1000.0;
        }
        return run(new Plan(at, true, 0.1, true), seed, true);
    }

    @Test
    void terminateTrimsSendDataTheTargetAcknowledgedButDidNotComplete() {
        // R-TERM-10: with lagging send completions the returned SND.UNA lies inside the host's send buffer; the
        // host drops exactly the acknowledged head, and the streams stay exact (lossyRun checks them)
        int trimmed = 0;
        int terminates = 0;
        for (long seed = 21_000; seed < 21_010; seed += 2) {
            Result r = lossyRun(seed);
            trimmed += r.chimney.trimmedTerminates;
            terminates += r.terminates;
        }
        assertTrue(trimmed > 0, "some terminates trimmed: " + trimmed + " of " + terminates);
    }

    /** Drives {@code s} until {@code done}, running the manager's step and {@code extra} after every loop turn. */
    static boolean drive(Setup s, java.util.function.BooleanSupplier done, long forNs, Runnable extra) {
        long deadline = s.drv.base.nanoTime() + forNs;
        return s.drv.runUntil(() -> done.getAsBoolean() || s.drv.base.nanoTime() >= deadline, Long.MAX_VALUE,
                () -> {
                    s.chimney.step();
                    extra.run();
                }) && done.getAsBoolean();
    }

    static Setup setup(long seed, TcpConfig config, int hBytes, int pBytes) {
        SeededRandom r = new SeededRandom(seed);
        byte[] hData = new byte[hBytes];
        byte[] pData = new byte[pBytes];
        r.nextBytes(hData);
        r.nextBytes(pData);
        return new Setup(seed, config, 5 * MS, 0, 0, hData, pData, 0);
    }

    static boolean offloadable(TcpState st) {
        return st == TcpState.ESTABLISHED || st == TcpState.FIN_WAIT_1 || st == TcpState.FIN_WAIT_2
                || st == TcpState.CLOSE_WAIT || st == TcpState.CLOSING || st == TcpState.LAST_ACK;
    }

    /** Offloads as soon as the handshake completed (the application may have queued its FIN already). */
    static void offloadWhenEstablished(Setup s) {
        drive(s, () -> s.chimney.offloaded(), 10_000 * MS, () -> {
            if (!s.chimney.offloaded() && offloadable(s.appH.connection.state())) {
                s.chimney.offload(s.targets[0]);
            }
        });
        assertTrue(s.chimney.offloaded(), "offloaded at set-up: " + s.appH.connection + " at "
                + s.drv.base.nanoTime() / MS + " ms");
    }

    @Test
    void zeroWindowsWhileOffloadedAndAcrossTerminateAndOffload() {
        // spec §6.3 persist on the target (T probes the peer's zero window; the peer probes the target's), the
        // persist state carried back by a terminate (spec §3.2.6: SndWndProbeCount, Retransmit.Count/TimeoutDelta)
        // and out again by an offload; the host's ring and the target's both fill before the target's window closes
        TcpConfig config = TcpConfig.builder().receiveBufferBytes(32_768).sendBufferBytes(32_768).build();
        Setup s = setup(31_000, config, 300_000, 300_000);
        s.appH.holdReading = true;
        s.appP.holdReading = true;
        offloadWhenEstablished(s);
        TcpStack t = s.targets[0];
        drive(s, () -> false, 5_000 * MS, () -> { });
        TcpConnection h = s.appH.connection;
        assertTrue(s.chimney.offloaded());
        assertEquals(32_768, h.readableBytes(), "the host's ring is full");
        assertTrue(s.chimney.t.readableBytes() > 0, "the target holds the rest");
        assertEquals(0, s.chimney.t.rcvWnd(), "the target's window is closed");
        assertEquals(0, h.writableBytes(), "the application's send buffer is full");
        assertTrue(s.stackP.counter(TcpCounter.WINDOW_PROBES) > 0, "the peer probes the target");
        assertTrue(t.counter(TcpCounter.WINDOW_PROBES) > 0, "the target probes the peer");

        s.chimney.terminate(true); // persist state comes back to the host
        assertEquals(0, h.rcvWnd(), "still closed on the host: " + h);
        long hostProbes = s.stackH.counter(TcpCounter.WINDOW_PROBES);
        drive(s, () -> false, 5_000 * MS, () -> { });
        assertTrue(s.stackH.counter(TcpCounter.WINDOW_PROBES) > hostProbes, "the host goes on probing");

        TcpDelegated persist = s.chimney.offload(s.targets[1]).delegated(); // and out again, mid-persist
        assertEquals(0, persist.sndWnd());
        assertEquals(1, persist.sndMax() - persist.sndUna(), "the probe byte is out");
        assertTrue(persist.retransmitTimeoutDelta() >= 0, "the persist timer travels: " + persist);
        assertEquals(persist.sndWndProbeCount(), s.chimney.t.export().delegated().sndWndProbeCount());
        drive(s, () -> false, 2_000 * MS, () -> { });
        // the applications read again: the windows open through the chimney (read → receive space → delivery)
        s.appH.holdReading = false;
        s.appP.holdReading = false;
        s.appH.drain();
        s.appP.drain();
        assertTrue(drive(s, () -> s.appH.done() && s.appP.done() && !s.chimney.offloaded(), 600_000 * MS, () -> { }),
                "finished: " + h);
        assertArrayEquals(s.appH.source, s.appP.received.toByteArray());
        assertArrayEquals(s.appP.source, s.appH.received.toByteArray());
        s.assertBackOnHost("zero windows");
    }

    @Test
    void peerResetWhileOffloadedResumesIntoClosed() {
        // spec §4.6 / §3.2.6: an RST ends the connection on the target; the terminate returns CLOSED and the host
        // closes with RESET (once), its 4-tuple released
        Setup s = setup(32_000, config(new SeededRandom(32_000), false), 200_000, 100_000);
        List<CloseReason> closes = new ArrayList<>();
        offloadWhenEstablished(s);
        s.appH.connection.listener(countingCloses(s.appH, closes));
        assertTrue(drive(s, () -> s.progress() > 100_000, 60_000 * MS, () -> { }));
        s.appP.connection.abort();
        assertTrue(drive(s, () -> !s.chimney.offloaded() && !closes.isEmpty(), 60_000 * MS, () -> { }));
        assertEquals(List.of(CloseReason.RESET), closes);
        assertEquals(TcpState.CLOSED, s.appH.connection.state());
        assertEquals(0, s.stackH.connectionCount());
        assertEquals(1, s.stackH.counter(TcpCounter.RESUMES));
        s.assertBackOnHost("peer reset");
    }

    @Test
    void peerVanishingWhileOffloadedResumesIntoClosedTimedOut() {
        // the target's retransmissions run out (spec §3.2.2 TimeoutExpiration): the returned CLOSED state shows
        // them, and the host reports TIMED_OUT
        TcpConfig config = TcpConfig.builder().maxRetransmissions(3).build();
        Setup s = setup(33_000, config, 200_000, 10_000);
        List<CloseReason> closes = new ArrayList<>();
        offloadWhenEstablished(s);
        s.appH.connection.listener(countingCloses(s.appH, closes));
        assertTrue(drive(s, () -> s.progress() > 50_000, 60_000 * MS, () -> { }));
        TcpStack blackHole = new TcpStack(s.loopP, config, (src, dst, seg, ip) -> { }, new SeededRandom(1));
        s.wire.router = side -> side == 1 ? blackHole : s.chimney.offloaded() ? s.chimney.target : s.stackH;
        assertTrue(drive(s, () -> !s.chimney.offloaded() && !closes.isEmpty(), 600_000 * MS, () -> { }));
        assertEquals(List.of(CloseReason.TIMED_OUT), closes);
        assertEquals(0, s.stackH.connectionCount());
        s.assertBackOnHost("black hole");
    }

    @Test
    void applicationAbortWhileOffloadedResetsThePeerFromTheTarget() {
        // spec §4.5.2: the abortive disconnect's RST comes from the target; the application saw ABORTED at once
        Setup s = setup(34_000, config(new SeededRandom(34_000), false), 200_000, 100_000);
        List<CloseReason> closes = new ArrayList<>();
        offloadWhenEstablished(s);
        s.appH.connection.listener(countingCloses(s.appH, closes));
        assertTrue(drive(s, () -> s.progress() > 100_000, 60_000 * MS, () -> { }));
        s.appH.connection.abort();
        assertEquals(List.of(CloseReason.ABORTED), closes, "at once");
        assertTrue(drive(s, () -> !s.chimney.offloaded() && s.appP.closed != null, 60_000 * MS, () -> { }));
        assertEquals(CloseReason.RESET, s.appP.closed, "the peer was reset");
        assertEquals(List.of(CloseReason.ABORTED), closes, "once");
        assertEquals(0, s.stackH.connectionCount());
        s.assertBackOnHost("abort");
    }

    @Test
    void failedOffloadLeavesEverythingToTheHost() {
        // spec §3.1.4 (the data remains the host's) and §3.1.2 / R-HOST-8 (segments arriving while the offload is
        // in progress are held, then processed by the host once the offload failed)
        Setup s = setup(35_000, config(new SeededRandom(35_000), false), 300_000, 150_000);
        assertTrue(drive(s, () -> s.progress() > 100_000, 60_000 * MS, () -> { }));
        s.chimney.beginFailingOffload();
        TcpConnection h = s.appH.connection;
        assertTrue(h.isParked());
        assertTrue(drive(s, () -> false, 30 * MS, () -> { }) || true);
        assertTrue(s.chimney.held.size() > 0, "segments arrived for the parked connection");
        s.chimney.failOffload();
        assertFalse(h.isParked());
        assertTrue(drive(s, () -> s.appH.done() && s.appP.done(), 600_000 * MS, () -> { }));
        assertArrayEquals(s.appH.source, s.appP.received.toByteArray());
        assertArrayEquals(s.appP.source, s.appH.received.toByteArray());
        assertEquals(1, s.stackH.counter(TcpCounter.UNPARKS));
        assertTrue(s.stackH.counter(TcpCounter.PARKED_SEGMENTS) > 0);
        s.assertBackOnHost("failed offload");
    }

    @Test
    void timestampsNeverGoBackwardsAcrossTwentyMoves() {
        // R-TS-6 / spec §6.10: TsTime out (StackTime + StackDelta) and back (NicTime + NicDelta), between loops whose
        // clocks differ by 987654 s and 3 ms, twenty times; every TSval the peer receives is at least the previous
        TcpConfig config = TcpConfig.builder().timestamps(true).build();
        Setup s = setup(36_000, config, 3_000_000, 200_000);
        int[] moves = {0};
        int[] steps = {0};
        assertTrue(drive(s, () -> s.appH.done() && s.appP.done() && !s.chimney.offloaded(), 600_000 * MS, () -> {
            TcpConnection c = s.appH.connection;
            if (moves[0] >= 40 || ++steps[0] < 10) {
                return;
            }
            if (!s.chimney.offloaded() && offloadable(c.state())) {
                s.chimney.offload(s.targets[s.chimney.offloads % 2]);
                moves[0]++;
            } else if (s.chimney.offloaded() && s.chimney.t.state() != TcpState.CLOSED) {
                s.chimney.terminate(true);
                moves[0]++;
            }
        }));
        assertEquals(20, s.chimney.offloads);
        assertTrue(s.side0.tsSeen > 1000, "TSvals checked: " + s.side0.tsSeen);
        assertArrayEquals(s.appH.source, s.appP.received.toByteArray());
        assertArrayEquals(s.appP.source, s.appH.received.toByteArray());
        s.assertBackOnHost("20 moves"); // includes the TSval line: no violations
    }

    /** The application's listener, also recording every onClosed. */
    static TcpConnection.Listener countingCloses(StreamApp app, List<CloseReason> closes) {
        return new TcpConnection.Listener() {
            @Override
            public void onConnected(TcpConnection c) {
                app.onConnected(c);
            }

            @Override
            public void onReadable(TcpConnection c) {
                app.onReadable(c);
            }

            @Override
            public void onWritable(TcpConnection c) {
                app.onWritable(c);
            }

            @Override
            public void onClosed(TcpConnection c, CloseReason reason) {
                closes.add(reason);
                app.onClosed(c, reason);
            }
        };
    }

    @Tag("slow")
    @Test
    void largeChimneyCampaign() {
        // -Pslow: many more seeds (override with -Dtcp.campaign.seeds=N)
        int n = Integer.getInteger("tcp.campaign.seeds", 300);
        for (long seed = 500_000; seed < 500_000 + n; seed++) {
            lossyRun(seed);
            String[] names = {"offloaded at set-up, terminated when it ended",
                "offloaded mid-transfer, terminated when it ended", "offloaded at set-up, terminated mid-transfer",
                "offloaded and terminated three times mid-transfer"};
            String name = names[(int) (seed % names.length)];
            peerCannotTellAMovedConnectionFromOneThatStayed(name, seed);
        }
    }
}
