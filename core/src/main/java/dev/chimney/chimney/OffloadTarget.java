package dev.chimney.chimney;

import dev.chimney.runtime.EventLoop;
import java.util.function.Consumer;

/**
 * The target side of the chimney: the ten {@code Miniport*} entry points (spec §0.3, §1.3) plus capabilities,
 * parameters and statistics (spec §7). A soft target, a fault-injecting wrapper, an intermediate (team) target or a
 * future hardware / out-of-process target all implement it; the conformance suite drives any of them through it.
 *
 * <h2>Threading and asynchrony (spec §0.2, R-INIT-5)</h2>
 * The layer above calls every method on its own loop, the {@code upperLoop} given to {@link #attach}. Each method
 * returns at once ({@code NDIS_STATUS_PENDING}); the target completes the request later by calling the matching
 * {@link OffloadHost} method <b>on the upper loop</b> (for a target on another loop: by posting to it), never from
 * inside the request call. {@link #tcpReceiveReturn} is the one synchronous entry point and has no completion.
 * Indications ({@link OffloadHost#receiveIndicate}, events, status indications) also run on the upper loop; their
 * return values travel back to the target the same way.
 *
 * <h2>Ownership</h2>
 * A block-list tree, send / receive / disconnect / forward requests and their buffers belong to the target from the
 * call until their completion; the caller must not touch them meanwhile. Data requests name a connection by the
 * context the target wrote into its {@link OffloadHandle} (spec §2.12).
 *
 * <h2>What the host promises (spec §3.0 item 4, §3.8)</h2>
 * No operation on an object being offloaded; no second update on an object being updated or invalidated; no
 * terminate while an update / query / invalidate on it is outstanding; no send or receive after a terminate was
 * called; send calls and receive calls serialized per connection. A target should still fail such misuse cleanly
 * (FAILURE, INVALID_STATE) rather than corrupt itself.
 */
public interface OffloadTarget {

    /**
     * Binds the target to the layer above. Must be called once, before any other method.
     *
     * @param host      where completions and indications go
     * @param upperLoop the loop of {@code host}: every callback runs there
     */
    void attach(OffloadHost host, EventLoop upperLoop);

    /** A short name for logs and diagnostics. */
    String name();

    /**
     * The capabilities the target reports now (spec §7.1, §7.3). Safe from any thread: an immutable snapshot. After a
     * RESUME the host reads them again (spec §5.1.2).
     */
    OffloadCapabilities capabilities();

    /**
     * The host's set of {@code OID_TCP_TASK_OFFLOAD} and the connection parameters: only {@code enabled} is enabled
     * from now on (R-CAP-1), with {@code parameters} used in place of built-in constants (R-CAP-2). Applied in order
     * with the requests that follow.
     */
    void configure(OffloadCapabilities enabled, OffloadParameters parameters);

    // ------------------------------------------------------------------------------ state manipulation (spec §3)

    /** Offloads the new-offload nodes of {@code root} (spec §3.1); completes with initiateOffloadComplete(root). */
    void initiateOffload(BlockList root);

    /** Uploads the referenced objects (spec §3.2); completes with terminateOffloadComplete(root). */
    void terminateOffload(BlockList root);

    /** Copies cached variables, relinks paths (spec §3.3); completes with updateOffloadComplete(root). */
    void updateOffload(BlockList root);

    /** Invalidates the referenced objects (spec §3.4); completes with invalidateOffloadComplete(root). */
    void invalidateOffload(BlockList root);

    /** Fills in the requested parts of the referenced objects (spec §3.5); completes with queryOffloadComplete. */
    void queryOffload(BlockList root);

    // --------------------------------------------------------------------------------------- data I/O (spec §4)

    /** Queues send data (spec §4.1): accepted always, completed once acknowledged. */
    void tcpSend(Object connection, SendRequest chain);

    /** Posts receive buffers (spec §4.2), filled and completed in FIFO order. */
    void tcpReceive(Object connection, ReceiveRequest chain);

    /** Closes the send half, gracefully or abortively (spec §4.5). */
    void tcpDisconnect(Object connection, DisconnectRequest request);

    /** Segments for the connection that the host received or reassembled (spec §4.7). */
    void tcpForward(Object connection, ForwardRequest chain);

    /** Gives back indicated buffers the host took (spec §4.3.4): synchronous, no completion. */
    void tcpReceiveReturn(ReceiveIndication chain);

    // ----------------------------------------------------------------------------------- statistics (spec §5.4)

    /** Reads the offload statistics; {@code result} runs on the upper loop. */
    void queryStatistics(Consumer<OffloadStatistics> result);

    /** An OID set on a statistics family: resets that family's counters to zero (spec §5.4.1). */
    void resetStatistics(OffloadStatistics.Family family);
}
