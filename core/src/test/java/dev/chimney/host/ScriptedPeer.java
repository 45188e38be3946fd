package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.FrameSink;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.cc.CongestionControl;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpFlags;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A packet-script harness (as {@code tcp.TcpHarness}: a scripted peer, a virtual clock, {@code send} / {@code expect}
 * / {@code expectNothing}) one level up: the scripted peer sits on the wire, as raw Ethernet/IPv4/TCP frames, in
 * front of a whole host stack that runs the TCP chimney through a {@link SoftOffloadTarget} on its own loop of the
 * same {@link Simulator}. A script marks moments with {@link #checkpoint()}; the {@link Move} decides what happens to
 * the connection there — nothing, an offload, or a terminate — so one script runs the connection never offloaded,
 * offloaded at set-up, offloaded mid-transfer, terminated mid-transfer, or moved back and forth, and asserts the
 * same segments on the wire each time (twin runs: the peer cannot tell).
 *
 * <p>One difference the spec allows is accepted wherever it shows: an ACK the engine owed when the connection moved
 * goes out at the move (spec §3.2.5 item 3, R-TERM-6, R-HOST-2) instead of when the delayed-ACK timer would have
 * sent it. {@link #expect} takes such a pure ACK, recorded during a move, earlier than the script's time, and {@link
 * #expectNothing} leaves it for the next {@code expect}.
 */
final class ScriptedPeer {
    static final long MS = 1_000_000L;
    static final Ipv4Address LOCAL = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address REMOTE = Ipv4Address.parse("10.77.0.2");
    static final MacAddress LOCAL_MAC = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress REMOTE_MAC = MacAddress.parse("02:77:00:00:00:0b");
    static final int LOCAL_PORT = 80;
    static final int REMOTE_PORT = 49500;
    static final int REMOTE_ISN = 50_000;
    static final int ACK = TcpFlags.ACK;
    static final int PSH = TcpFlags.PSH;
    static final int FIN = TcpFlags.FIN;
    static final int SYN = TcpFlags.SYN;
    static final int RST = TcpFlags.RST;

    /** When the connection runs on the target (see the class comment). */
    enum Move {
        /** Never offloaded: the reference transcript. */
        NEVER,
        /** Offloaded right after the handshake; checkpoints do nothing. */
        AT_SETUP,
        /** On the host until the first checkpoint, offloaded there. */
        MID_TRANSFER,
        /** Offloaded right after the handshake, terminated at the first checkpoint. */
        TERMINATED_MID_TRANSFER,
        /** Offloaded right after the handshake; every checkpoint moves it the other way. */
        BACK_AND_FORTH
    }

    /** A segment the stack put on the wire; {@code atMove}: recorded while a move was in progress. */
    record Seg(long timeNs, int flags, int seq, int ack, int window, byte[] payload, int mss, boolean atMove,
            int sourcePort) {
        boolean pureAck() {
            return flags == ACK && payload.length == 0;
        }

        String content() {
            return TcpFlagsText.of(flags) + " seq=" + Integer.toUnsignedString(seq) + " ack="
                    + Integer.toUnsignedString(ack) + " win=" + window + " len=" + payload.length
                    + (mss >= 0 ? " mss=" + mss : "");
        }

        boolean sameContent(Seg o) {
            return flags == o.flags && seq == o.seq && ack == o.ack && window == o.window && mss == o.mss
                    && Arrays.equals(payload, o.payload);
        }

        @Override
        public String toString() {
            return timeNs / MS + "ms " + content() + (atMove ? " (at a move)" : "");
        }
    }

    /** Flag names for messages. */
    static final class TcpFlagsText {
        static String of(int f) {
            StringBuilder sb = new StringBuilder();
            String[] names = {"FIN", "SYN", "RST", "PSH", "ACK"};
            for (int i = 0; i < names.length; i++) {
                if ((f & 1 << i) != 0) {
                    sb.append(sb.isEmpty() ? "" : "|").append(names[i]);
                }
            }
            return sb.toString();
        }
    }

    /** Test-only congestion control: a constant window, so scripts see exactly what the engines' own rules do. */
    static final class FixedWindow implements CongestionControl {
        private final long windowBytes;
        private long cwnd;
        private long ssthresh = Long.MAX_VALUE / 4;

        FixedWindow(long windowBytes) {
            this.windowBytes = windowBytes;
            this.cwnd = windowBytes;
        }

        @Override
        public long cwnd() {
            return cwnd;
        }

        @Override
        public long ssthresh() {
            return ssthresh;
        }

        @Override
        public void restore(long newCwnd, long newSsthresh, long nowNs) {
            cwnd = newCwnd;
            ssthresh = newSsthresh;
        }

        @Override
        public void init(int mss, long nowNs) {
            cwnd = windowBytes;
        }

        @Override
        public void onAck(long ackedBytes, long inFlightBeforeAck, long rttNs, long nowNs) {
        }

        @Override
        public void onFastRetransmit(long inFlight, long nowNs) {
        }

        @Override
        public void onRecoveryAck(long ackedBytes, long nowNs) {
        }

        @Override
        public void onRecoveryExit(long inFlight, long nowNs) {
        }

        @Override
        public void onRetransmitTimeout(long inFlight, long nowNs) {
        }

        @Override
        public void onIdleRestart(long nowNs) {
        }

        @Override
        public void onMssChange(int newMss) {
        }

        @Override
        public String name() {
            return "fixed";
        }
    }

    /** Script defaults, as TcpHarness.plain(): no options beyond MSS, 8 KiB receive buffer, fixed 64 KiB window. */
    static TcpConfig.Builder plain() {
        return TcpConfig.builder().timestamps(false).sack(false).windowScaling(false).receiveBufferBytes(8192)
                .sendBufferBytes(65536).congestionControl(() -> new FixedWindow(65536));
    }

    /** The wire as the scripted peer sees it: frames the stack (through its NIC) sends, frames the peer injects. */
    private final class Wire implements NetworkPort {
        private final ArrayDeque<byte[]> toStack = new ArrayDeque<>();
        private boolean closed;

        @Override
        public String name() {
            return "script-wire";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            record(frame.toArray(ValueLayout.JAVA_BYTE));
            return !closed;
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            int n = 0;
            while (n < budget && !toStack.isEmpty()) {
                sink.onFrame(MemorySegment.ofArray(toStack.poll()));
                n++;
            }
            return n;
        }

        @Override
        public long nextArrivalNs() {
            return toStack.isEmpty() ? Long.MAX_VALUE : sim.nowNs();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    final Move move;
    final Simulator sim;
    final NetworkStack stack;
    final SoftOffloadTarget target;
    final OffloadManager om;
    private final Wire wire = new Wire();
    /** Everything the stack sent, in order (the transcript twins compare). */
    final List<Seg> transcript = new ArrayList<>();
    private final ArrayDeque<Seg> unread = new ArrayDeque<>();
    final List<CloseReason> closed = new ArrayList<>();
    final List<TcpConnection> accepted = new ArrayList<>();
    /** What the application read (with {@link #autoRead}). */
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    boolean autoRead;
    private boolean moving;
    private int checkpoints;
    int nonTcpFrames;
    TcpConnection connection;
    /** Our port: 80 for a passive open, the ephemeral one of an active open. */
    int localPort = LOCAL_PORT;
    /** Our initial sequence number + 1 and the peer's, once the handshake is through. */
    int localNext;
    int remoteNext = REMOTE_ISN + 1;

    final TcpConnection.Listener events = new TcpConnection.Listener() {
        @Override
        public void onReadable(TcpConnection c) {
            if (autoRead) {
                drain(c);
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed.add(reason);
        }
    };

    ScriptedPeer(Move move, TcpConfig config) {
        this.move = Objects.requireNonNull(move, "move");
        this.sim = new Simulator(7);
        EventLoop hostLoop = sim.newLoop("host");
        this.target = SoftOffloadTarget.builder(sim.newLoop("nic"), wire).name("nic").hostLoop(hostLoop)
                .mac(LOCAL_MAC).tcpConfig(config).random(sim.random().fork("nic")).build();
        this.stack = NetworkStack.builder(hostLoop).random(sim.random().fork("host")).tcpConfig(config)
                .offload(target, OffloadPolicy.explicit())
                .iface(target.hostPort(), InterfaceConfig.of("a0", LOCAL_MAC).withIpv4("10.77.0.1/24")).build();
        this.om = stack.offload();
        // the peer's MAC is known: no ARP in the transcript
        stack.ip().neighbors(stack.interfaces().getFirst(), false).addStatic(REMOTE, REMOTE_MAC, sim.nowNs());
    }

    private void drain(TcpConnection c) {
        byte[] buf = new byte[65536];
        int n;
        while ((n = c.read(buf, 0, buf.length)) > 0) {
            received.write(buf, 0, n);
        }
    }

    private void record(byte[] frame) {
        MemorySegment m = MemorySegment.ofArray(frame);
        try {
            EthernetView eth = new EthernetView().wrap(m, 0, frame.length).check();
            if (eth.etherType() != EtherType.IPV4) {
                nonTcpFrames++;
                return;
            }
            Ipv4View ip = new Ipv4View().wrap(m, eth.payloadOffset(), frame.length - eth.payloadOffset()).check();
            if (ip.protocol() != IpProtocol.TCP) {
                nonTcpFrames++;
                return;
            }
            TcpView tcp = new TcpView().wrap(m, ip.upperOffset(), ip.upperLength()).check();
            TcpOptions o = new TcpOptions();
            if (tcp.headerLen() > TcpView.HEADER_LENGTH) {
                tcp.readOptions(o);
            }
            int mss = o.maxSegmentSize() == TcpOptions.NONE ? -1 : o.maxSegmentSize();
            byte[] payload = tcp.payload().toArray(ValueLayout.JAVA_BYTE);
            Seg s = new Seg(sim.nowNs(), tcp.flags() & 0x1F, tcp.seqNumber(), tcp.ackNumber(), tcp.window(),
                    payload, mss, moving, tcp.srcPort());
            transcript.add(s);
            unread.add(s);
        } catch (WireFormatException e) {
            fail("the stack sent a malformed frame: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ time and the script's verbs

    /** Runs everything due up to {@code t} (ns), leaving the clock there. */
    void advanceTo(long t) {
        sim.runFor(Math.max(0, t - sim.nowNs()));
    }

    /** Delivers a peer segment at {@code t}; {@code mss} < 0: no option. */
    void send(long t, int flags, int seq, int ack, int window, byte[] payload, int mss) {
        advanceTo(t);
        byte[] options = mss < 0 ? new byte[0] : new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss};
        byte[] tcp = RawFrames.withChecksum(RawFrames.tcp(REMOTE_PORT, localPort, seq, ack, 5 + options.length / 4,
                flags, window, options, payload), REMOTE, LOCAL);
        MemorySegment frame = RawFrames.ip(REMOTE_MAC, LOCAL_MAC, REMOTE, LOCAL, IpProtocol.TCP, tcp);
        wire.toStack.add(frame.toArray(ValueLayout.JAVA_BYTE));
        sim.runFor(0);
    }

    void send(long t, int flags, int seq, int ack) {
        send(t, flags, seq, ack, 8192, new byte[0], -1);
    }

    void send(long t, int flags, int seq, int ack, byte[] payload) {
        send(t, flags, seq, ack, 8192, payload, -1);
    }

    /**
     * The next segment the stack sent must be this one, sent at {@code t} — or, a pure ACK sent at a move, earlier
     * (see the class comment).
     */
    Seg expect(long t, int flags, int seq, int ack, int window, byte[] payload) {
        advanceTo(t);
        Seg want = new Seg(t, flags, seq, ack, window, payload, -1, false, localPort);
        Seg got = unread.poll();
        if (got == null) {
            fail(move + ": expected at " + t / MS + " ms: " + want.content() + " — but nothing was sent; "
                    + transcript);
        }
        assertEquals(want.content(), got.content(), move + ": segment sent at " + got.timeNs() / MS + " ms; "
                + transcript);
        assertEquals(localPort, got.sourcePort(), move + ": from our port");
        assertArrayEquals(payload, got.payload(), move + ": payload differs");
        boolean flushedAtMove = got.atMove() && got.pureAck() && got.timeNs() < t;
        if (got.timeNs() != t && !flushedAtMove) {
            fail(move + ": " + got + " expected at " + t / MS + " ms; " + transcript);
        }
        return got;
    }

    Seg expect(long t, int flags, int seq, int ack, int window) {
        return expect(t, flags, seq, ack, window, new byte[0]);
    }

    /** Runs to {@code t} and takes every segment sent so far that no expect took yet. */
    List<Seg> takeAll(long t) {
        advanceTo(t);
        List<Seg> all = new ArrayList<>(unread);
        unread.clear();
        return all;
    }

    /** Nothing sent up to {@code t}, but an owed ACK flushed at a move (left for the next expect). */
    void expectNothing(long t) {
        advanceTo(t);
        for (Seg s : unread) {
            assertTrue(s.atMove() && s.pureAck(), move + ": expected silence up to " + t / MS + " ms, got " + s
                    + "; " + transcript);
        }
    }

    /**
     * A moment the move acts at: an offload (MID_TRANSFER's first checkpoint, BACK_AND_FORTH from the host), a
     * terminate (TERMINATED_MID_TRANSFER's first, BACK_AND_FORTH from the target) or nothing. The move completes
     * before the script goes on (in virtual time it takes none: the loops hand requests over at once).
     */
    void checkpoint() {
        checkpoints++;
        boolean act = switch (move) {
            case NEVER, AT_SETUP -> false;
            case MID_TRANSFER, TERMINATED_MID_TRANSFER -> checkpoints == 1;
            case BACK_AND_FORTH -> true;
        };
        if (act) {
            OffloadState st = om.state(connection);
            if (st == OffloadState.OFFLOADED) {
                terminate();
            } else if (st == OffloadState.NOT_OFFLOADED) {
                offload();
            }
        }
    }

    /** Whether the last checkpoint took the connection back to the host. */
    boolean uploadedAtLastCheckpoint() {
        return switch (move) {
            case TERMINATED_MID_TRANSFER -> checkpoints == 1;
            case BACK_AND_FORTH -> checkpoints % 2 == 1;
            default -> false;
        };
    }

    /** Whether the connection runs on the target now. */
    boolean offloaded() {
        return om.state(connection) == OffloadState.OFFLOADED;
    }

    private void offload() {
        moving = true;
        try {
            assertTrue(om.offload(connection), move + ": the manager refused to offload " + connection);
            sim.runUntil(() -> om.state(connection) != OffloadState.INITIATING, sim.nowNs());
            assertEquals(OffloadState.OFFLOADED, om.state(connection), move + ": offload completed at once");
        } finally {
            moving = false;
        }
    }

    private void terminate() {
        moving = true;
        try {
            om.terminate(connection);
            sim.runUntil(() -> om.state(connection) == OffloadState.NOT_OFFLOADED, sim.nowNs());
            assertEquals(OffloadState.NOT_OFFLOADED, om.state(connection), move + ": terminate completed at once");
        } finally {
            moving = false;
        }
    }

    private void moveAtSetup() {
        if (move == Move.AT_SETUP || move == Move.TERMINATED_MID_TRANSFER || move == Move.BACK_AND_FORTH) {
            offload();
        }
    }

    // ------------------------------------------------------------------ fixtures, reached by real handshakes

    /** Passive open on port 80 and a completed handshake: ESTABLISHED at t = 10 ms (then the set-up move). */
    TcpConnection establishedPassive() {
        stack.listen(LOCAL_PORT, (TcpListener l) -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                accepted.add(c);
            }
        });
        send(0, SYN, REMOTE_ISN, 0, 8192, new byte[0], 1460);
        advanceTo(0);
        Seg synAck = unread.poll();
        assertTrue(synAck != null && synAck.flags() == (SYN | ACK) && synAck.ack() == REMOTE_ISN + 1
                && synAck.mss() == 1460 && synAck.window() == 8192, "SYN-ACK: " + synAck);
        localNext = synAck.seq() + 1;
        send(10 * MS, ACK, remoteNext, localNext);
        assertEquals(1, accepted.size(), "handshake completed into the accept backlog");
        connection = accepted.getFirst();
        connection.listener(events);
        moveAtSetup();
        return connection;
    }

    /** Active open to the peer's port and a completed handshake: ESTABLISHED at t = 10 ms (then the set-up move). */
    TcpConnection establishedActive() {
        connection = stack.connect(REMOTE, REMOTE_PORT, events);
        advanceTo(0);
        Seg syn = unread.poll();
        assertTrue(syn != null && syn.flags() == SYN && syn.mss() == 1460 && syn.window() == 8192, "SYN: " + syn);
        localPort = syn.sourcePort();
        localNext = syn.seq() + 1;
        send(10 * MS, SYN | ACK, REMOTE_ISN, localNext, 8192, new byte[0], 1460);
        expect(10 * MS, ACK, localNext, remoteNext, 8192);
        moveAtSetup();
        return connection;
    }

    /** After the script: the moves really happened (so a twin run is not a host run in disguise). */
    void assertMoved() {
        long offloads = om.counter(OffloadCounter.CONNECTIONS_OFFLOADED);
        long uploads = om.counter(OffloadCounter.CONNECTIONS_UPLOADED) + om.counter(OffloadCounter.CONNECTIONS_LOST);
        switch (move) {
            case NEVER -> assertEquals(0, offloads, "never offloaded");
            case AT_SETUP, MID_TRANSFER -> assertEquals(1, offloads, move + ": offloaded once");
            case TERMINATED_MID_TRANSFER -> assertTrue(offloads == 1 && uploads >= 1, move + ": offloaded and back");
            case BACK_AND_FORTH -> assertTrue(offloads >= 1, move + ": offloaded " + offloads);
        }
        assertEquals(0, om.counter(OffloadCounter.PROTOCOL_VIOLATIONS), om.toString());
        assertEquals(0, nonTcpFrames, "no ARP or other frames in a scripted run");
    }

    /**
     * This run's transcript against the never-offloaded one: the same segments in the same order at the same times,
     * but for owed ACKs sent early at a move.
     */
    void assertSameTranscriptAs(ScriptedPeer reference) {
        List<Seg> ref = reference.transcript;
        assertEquals(ref.size(), transcript.size(), move + " sent " + transcript + "\n never offloaded: " + ref);
        for (int i = 0; i < ref.size(); i++) {
            Seg r = ref.get(i);
            Seg s = transcript.get(i);
            String why = move + " segment " + i + ": " + s + " vs never offloaded " + r + "\n " + transcript
                    + "\n " + ref;
            assertTrue(r.sameContent(s), why);
            assertTrue(r.timeNs() == s.timeNs() || s.atMove() && s.pureAck() && s.timeNs() < r.timeNs(), why);
        }
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }
}
