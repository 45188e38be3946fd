package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.ToIntBiFunction;

/**
 * The simulated host's side of the chimney: records every completion and indication in arrival order, answers
 * receive indications by a configurable policy, and keeps per connection the bytes the "application" got (receive
 * completions plus accepted indications). Asserts that no callback runs inside a request call (R-INIT-5).
 */
final class HostRecorder implements OffloadHost {
    /** One callback, for order assertions. */
    record Call(long timeNs, String kind, Object subject, Object detail) {
    }

    final ChimneyWorld world;
    OffloadTarget target;
    /** True while the harness is inside a request method of the target. */
    boolean inRequest;
    final List<Call> log = new ArrayList<>();
    final List<BlockList> initiated = new ArrayList<>();
    final List<BlockList> terminated = new ArrayList<>();
    final List<BlockList> updated = new ArrayList<>();
    final List<BlockList> invalidated = new ArrayList<>();
    final List<BlockList> queried = new ArrayList<>();
    final List<SendRequest> sends = new ArrayList<>();
    final List<Integer> sendCompletionCalls = new ArrayList<>();
    final List<ReceiveRequest> receives = new ArrayList<>();
    final List<DisconnectRequest> disconnects = new ArrayList<>();
    final List<ForwardRequest> forwards = new ArrayList<>();
    final List<ReceiveIndication> indications = new ArrayList<>();
    final List<TcpEvent> events = new ArrayList<>();
    final List<OffloadHandle> eventHandles = new ArrayList<>();
    final List<BlockList> reachabilityQueries = new ArrayList<>();
    final List<StatusIndication> statusIndications = new ArrayList<>();
    final Map<OffloadHandle, ByteArrayOutputStream> delivered = new IdentityHashMap<>();
    /** Receive requests → connection handle, to credit completed bytes. */
    final Map<ReceiveRequest, OffloadHandle> receiveOwner = new IdentityHashMap<>();
    /** How the host answers indications; default: take everything and return the buffer at once. */
    BiFunction<OffloadHandle, ReceiveIndication, ReceiveIndication.Result> indicationPolicy = (h, d) ->
            ReceiveIndication.Result.all(d.length());
    /** Return accepted indication buffers at once (else they pile up in {@link #heldIndications}). */
    boolean returnIndicationsAtOnce = true;
    final List<ReceiveIndication> heldIndications = new ArrayList<>();
    /** Runs inside receiveComplete for each completed request (a host posting again from its completion). */
    java.util.function.Consumer<ReceiveRequest> onReceiveComplete = r -> { };
    /** Depth of receive callbacks in progress: a completion or indication inside another is a violation. */
    private int receiveDepth;
    /** The HRD the host answers a NeighborReachabilityQuery with. */
    ToIntBiFunction<OffloadHandle, BlockList> reachabilityAnswer = (h, b) -> 0;

    HostRecorder(ChimneyWorld world) {
        this.world = world;
    }

    private void record(String kind, Object subject, Object detail) {
        assertFalse(inRequest, kind + " called from inside a request call (R-INIT-5: completions are asynchronous)");
        log.add(new Call(world.sim.nowNs(), kind, subject, detail));
    }

    ByteArrayOutputStream deliveredTo(OffloadHandle h) {
        return delivered.computeIfAbsent(h, k -> new ByteArrayOutputStream());
    }

    @Override
    public void initiateOffloadComplete(BlockList root) {
        record("initiate", root, null);
        initiated.add(root);
    }

    @Override
    public void terminateOffloadComplete(BlockList root) {
        record("terminate", root, null);
        terminated.add(root);
    }

    @Override
    public void updateOffloadComplete(BlockList root) {
        record("update", root, null);
        updated.add(root);
    }

    @Override
    public void invalidateOffloadComplete(BlockList root) {
        record("invalidate", root, null);
        invalidated.add(root);
    }

    @Override
    public void queryOffloadComplete(BlockList root) {
        record("query", root, null);
        queried.add(root);
    }

    @Override
    public void sendComplete(SendRequest chain) {
        int n = 0;
        for (SendRequest r = chain; r != null; r = r.next()) {
            record("send", r, r.status());
            sends.add(r);
            n++;
        }
        sendCompletionCalls.add(n);
    }

    @Override
    public void receiveComplete(ReceiveRequest chain) {
        assertFalse(receiveDepth > 0, "R-RECV-10: a receive completion inside another receive callback");
        receiveDepth++;
        try {
            for (ReceiveRequest r = chain; r != null; r = r.next()) {
                record("receive", r, r.status());
                receives.add(r);
                OffloadHandle h = receiveOwner.get(r);
                if (h != null && r.bytesTransferred() > 0) {
                    deliveredTo(h).write(r.buffer(), r.offset(), r.bytesTransferred());
                }
            }
            for (ReceiveRequest r = chain; r != null; r = r.next()) {
                onReceiveComplete.accept(r);
            }
        } finally {
            receiveDepth--;
        }
    }

    @Override
    public void disconnectComplete(DisconnectRequest request) {
        record("disconnect", request, request.status());
        disconnects.add(request);
    }

    @Override
    public void forwardComplete(ForwardRequest chain) {
        for (ForwardRequest r = chain; r != null; r = r.next()) {
            record("forward", r, r.status());
            forwards.add(r);
        }
    }

    @Override
    public ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data) {
        assertFalse(receiveDepth > 0, "R-RECV-10: an indication inside a receive callback");
        record("indicate", connection, data.length());
        indications.add(data);
        ReceiveIndication.Result result = indicationPolicy.apply(connection, data);
        if (result.bytesConsumed() > 0) {
            deliveredTo(connection).write(data.buffer(), data.offset(), result.bytesConsumed());
        }
        if (result.status() == OffloadStatus.SUCCESS) {
            if (returnIndicationsAtOnce) {
                target.tcpReceiveReturn(data);
            } else {
                heldIndications.add(data);
            }
        }
        return result;
    }

    @Override
    public void tcpEvent(OffloadHandle connection, TcpEvent event) {
        record("event", connection, event);
        events.add(event);
        eventHandles.add(connection);
    }

    @Override
    public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
        record("reachability", neighbor, state);
        reachabilityQueries.add(state);
        return reachabilityAnswer.applyAsInt(neighbor, state);
    }

    @Override
    public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
        record("status", indication, capabilities);
        statusIndications.add(indication);
    }

    /** Events about {@code h}, in order. */
    List<TcpEvent> eventsFor(OffloadHandle h) {
        List<TcpEvent> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (eventHandles.get(i) == h) {
                out.add(events.get(i));
            }
        }
        return out;
    }

    /** Index of the first log entry of {@code kind} about {@code subject}, or -1. */
    int indexOf(String kind, Object subject) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).kind().equals(kind) && log.get(i).subject() == subject) {
                return i;
            }
        }
        return -1;
    }
}
