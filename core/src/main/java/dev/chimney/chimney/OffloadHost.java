package dev.chimney.chimney;

/**
 * The host side of the chimney: the completion and indication entry points a target calls (spec §0.3, the
 * {@code NdisM*Complete}, {@code NdisTcpOffload*} and indication functions). Every method is called on the loop the
 * host gave to {@link OffloadTarget#attach}. An intermediate target implements this towards the targets below it and
 * {@link OffloadTarget} towards the host (spec §2.15).
 */
public interface OffloadHost {

    void initiateOffloadComplete(BlockList root);

    void terminateOffloadComplete(BlockList root);

    void updateOffloadComplete(BlockList root);

    void invalidateOffloadComplete(BlockList root);

    void queryOffloadComplete(BlockList root);

    /** Completed send requests, possibly from several send calls, in posting order (spec §4.1.3). */
    void sendComplete(SendRequest chain);

    /** Completed receive requests, in posting order (spec §4.2.3). */
    void receiveComplete(ReceiveRequest chain);

    void disconnectComplete(DisconnectRequest request);

    void forwardComplete(ForwardRequest chain);

    /**
     * Received data for the connection of {@code connection} (spec §4.3); the answer says how much the host took.
     * On SUCCESS the host owns the buffer until it passes it to {@link OffloadTarget#tcpReceiveReturn}.
     */
    ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data);

    /** A TCP chimney event (spec §5.3) about the connection of {@code connection}. */
    void tcpEvent(OffloadHandle connection, TcpEvent event);

    /**
     * NeighborReachabilityQuery (spec §5.2): {@code state} carries the neighbor's const, cached (HRD) and delegated
     * (NRD) parts. The host answers at once with a new HRD: 0 if its neighbor cache entry is stale, non-zero if
     * REACHABLE (R-HOST-15).
     */
    int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state);

    /**
     * An adapter-wide status indication (spec §5.1). {@code capabilities} are the target's current ones with RESUME
     * (NDIS 6 carries them in the indication, spec §5.1.2), null otherwise.
     */
    void statusIndication(StatusIndication indication, OffloadCapabilities capabilities);
}
