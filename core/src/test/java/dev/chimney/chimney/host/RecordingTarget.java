package dev.chimney.chimney.host;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.runtime.EventLoop;
import dev.chimney.tcp.TcpDelegated;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A test-local offload target that records every request and completes nothing by itself: the test completes each
 * request when and how it wants (through the helpers, which follow the spec's status rules, or by hand to play a
 * misbehaving target). It runs no TCP: a connection's state at terminate is the state it was given at initiate,
 * advanced by the bytes the test completed and indicated ({@link Conn}).
 */
final class RecordingTarget implements OffloadTarget {
    static final OffloadCapabilities GENEROUS = new OffloadCapabilities(true, true, false, true, 10_000, 10_000,
            10_000, 1 << 30, 65_535, true, true);

    OffloadHost host;
    EventLoop loop;
    OffloadCapabilities capabilities = GENEROUS;
    OffloadCapabilities enabled;
    OffloadParameters parameters;
    int contexts;

    final List<BlockList> initiates = new ArrayList<>();
    final List<BlockList> terminates = new ArrayList<>();
    final List<BlockList> updates = new ArrayList<>();
    final List<BlockList> invalidates = new ArrayList<>();
    final List<BlockList> queries = new ArrayList<>();
    final List<SendRequest> sends = new ArrayList<>();
    final List<ReceiveRequest> receives = new ArrayList<>();
    final List<DisconnectRequest> disconnects = new ArrayList<>();
    final List<ForwardRequest> forwards = new ArrayList<>();
    final List<ReceiveIndication> returned = new ArrayList<>();
    /** Every call in order, by name, for ordering assertions. */
    final List<String> calls = new ArrayList<>();

    /** The target's context of one offloaded connection: what it was given, and what moved since. */
    static final class Conn {
        final int id;
        final TcpDelegated initial;
        long acked;
        long indicated;
        boolean finIndicated;

        Conn(int id, TcpDelegated initial) {
            this.id = id;
            this.initial = initial;
        }

        @Override
        public String toString() {
            return "ctx#" + id;
        }
    }

    @Override
    public void attach(OffloadHost h, EventLoop upperLoop) {
        this.host = h;
        this.loop = upperLoop;
    }

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public OffloadCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public void configure(OffloadCapabilities e, OffloadParameters p) {
        this.enabled = e;
        this.parameters = p;
    }

    @Override
    public void initiateOffload(BlockList root) {
        calls.add("initiate");
        initiates.add(root);
    }

    @Override
    public void terminateOffload(BlockList root) {
        calls.add("terminate");
        terminates.add(root);
    }

    @Override
    public void updateOffload(BlockList root) {
        calls.add("update");
        updates.add(root);
    }

    @Override
    public void invalidateOffload(BlockList root) {
        calls.add("invalidate");
        invalidates.add(root);
    }

    @Override
    public void queryOffload(BlockList root) {
        calls.add("query");
        queries.add(root);
    }

    @Override
    public void tcpSend(Object connection, SendRequest chain) {
        calls.add("send");
        for (SendRequest r = chain; r != null; r = r.next()) {
            r.targetScratch = connection;
            sends.add(r);
        }
    }

    @Override
    public void tcpReceive(Object connection, ReceiveRequest chain) {
        calls.add("receive");
        for (ReceiveRequest r = chain; r != null; r = r.next()) {
            r.targetScratch = connection;
            receives.add(r);
        }
    }

    @Override
    public void tcpDisconnect(Object connection, DisconnectRequest request) {
        calls.add(request.isAbortive() ? "abort" : "disconnect");
        disconnects.add(request);
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        calls.add("forward");
        for (ForwardRequest f = chain; f != null; f = f.next()) {
            forwards.add(f);
        }
    }

    @Override
    public void tcpReceiveReturn(ReceiveIndication chain) {
        calls.add("return");
        for (ReceiveIndication r = chain; r != null; r = r.next()) {
            returned.add(r);
        }
    }

    @Override
    public void queryStatistics(Consumer<OffloadStatistics> result) {
        result.accept(OffloadStatistics.ZERO);
    }

    @Override
    public void resetStatistics(OffloadStatistics.Family family) {
    }

    // ------------------------------------------------------------------------------------------------- helpers

    BlockList lastInitiate() {
        return initiates.getLast();
    }

    BlockList lastTerminate() {
        return terminates.getLast();
    }

    /** Completes {@code root} with every new offload succeeding. */
    void succeed(BlockList root) {
        completeInitiate(root, b -> OffloadStatus.SUCCESS);
    }

    /**
     * Completes an initiate as spec §3.1.4 says, with {@code decide} giving each attempted new offload's own result:
     * depth-first (§2.14), a failed node's dependents FAILURE without an attempt, a failed root stops everything
     * (§9 item 23), a parent PARTIAL_SUCCESS when an immediate dependent failed, contexts written only on success.
     */
    void completeInitiate(BlockList root, Function<BlockList, OffloadStatus> decide) {
        walk(root, true, decide, root, new boolean[1]);
        host.initiateOffloadComplete(root);
    }

    private void walk(BlockList first, boolean attempt, Function<BlockList, OffloadStatus> decide, BlockList root,
            boolean[] stopped) {
        for (BlockList b = first; b != null; b = b.next()) {
            boolean offloaded;
            boolean linker = !b.isPlaceholder() && !b.isNewOffload();
            if (!attempt || stopped[0]) {
                b.status(OffloadStatus.FAILURE);
                offloaded = false;
            } else if (b.isPlaceholder() || linker) {
                offloaded = true;
            } else {
                OffloadStatus st = decide.apply(b);
                offloaded = st.isOffloaded();
                if (offloaded) {
                    b.handle().miniportContext(b.layer() == StateLayer.TCP ? new Conn(++contexts, b.tcpDelegated())
                            : "ctx#" + ++contexts);
                }
                b.status(st);
                stopped[0] |= !offloaded && b == root; // spec §9 item 23: a failed root stops the traversal
            }
            if (b.dependents() != null) {
                walk(b.dependents(), offloaded && !stopped[0], decide, root, stopped);
            }
            if (offloaded) {
                int deps = 0;
                int failed = 0;
                for (BlockList d = b.dependents(); d != null; d = d.next()) {
                    deps++;
                    failed += d.status().isOffloaded() ? 0 : 1;
                }
                if (b.isPlaceholder()) {
                    b.status(OffloadStatus.SUCCESS); // spec §2.11: always
                } else if (linker) {
                    b.status(failed == 0 ? OffloadStatus.SUCCESS : failed == deps ? OffloadStatus.FAILURE
                            : OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
                } else {
                    b.status(failed == 0 ? OffloadStatus.SUCCESS : OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
                }
            }
        }
    }

    /**
     * Completes a terminate with SUCCESS everywhere, returning each connection's state: the initiate state advanced
     * by the bytes completed and indicated since (send data stays the host's, §3.1.6; no BufferedData).
     */
    void succeedTerminate(BlockList root) {
        for (BlockList b : root.nodes()) {
            b.status(OffloadStatus.SUCCESS);
            if (!b.isPlaceholder() && b.context() instanceof Conn c) {
                b.tcpDelegated(advanced(c));
                b.sendChain(null);
            }
        }
        host.terminateOffloadComplete(root);
    }

    /** The state the test target holds for {@code c} now. */
    static TcpDelegated advanced(Conn c) {
        TcpDelegated d = c.initial;
        int sndUna = d.sndUna() + (int) c.acked;
        int rcvNxt = d.rcvNxt() + (int) c.indicated + (c.finIndicated ? 1 : 0);
        int sndNxt = dev.chimney.tcp.Seq.lt(d.sndNxt(), sndUna) ? sndUna : d.sndNxt();
        int sndMax = dev.chimney.tcp.Seq.lt(d.sndMax(), sndNxt) ? sndNxt : d.sndMax();
        return new TcpDelegated(d.state(), rcvNxt, d.rcvWnd(), sndUna, sndNxt, sndMax, d.sndWnd(), d.maxSndWnd(),
                d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(), d.tsRecentAge(), d.tsTime(),
                d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(), d.keepAliveProbeCount(),
                d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(), d.dWnd(), new byte[0],
                new byte[0], List.of());
    }

    /** Completes every node of an update, invalidate or query with {@code status}. */
    void complete(BlockList root, OffloadOperation op, OffloadStatus status) {
        for (BlockList b : root.nodes()) {
            b.status(status);
        }
        switch (op) {
            case UPDATE -> host.updateOffloadComplete(root);
            case INVALIDATE -> host.invalidateOffloadComplete(root);
            case QUERY -> host.queryOffloadComplete(root);
            default -> throw new IllegalArgumentException(op.toString());
        }
    }

    /** Completes the oldest recorded send requests of a connection as acknowledged. */
    void ackSends(int count) {
        SendRequest chain = null;
        for (int i = 0; i < count; i++) {
            SendRequest r = sends.removeFirst();
            r.complete(OffloadStatus.SUCCESS, r.length());
            ((Conn) r.targetScratch).acked += r.length();
            r.next(null);
            chain = chain == null ? r : chain.append(r);
        }
        host.sendComplete(chain);
    }
}
