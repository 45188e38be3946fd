package dev.chimney.chimney.host;

/** What the host offload manager counts; {@link OffloadManager#counter}. */
public enum OffloadCounter {
    INITIATES("initiate requests issued (one per tree)"),
    CONNECTIONS_OFFLOADED("connections whose initiate completed with success"),
    CONNECTIONS_OFFLOAD_FAILED("connections whose initiate failed; they carry on on the host (spec §3.1.4)"),
    PATHS_OFFLOADED("path objects offloaded"),
    NEIGHBORS_OFFLOADED("neighbor objects offloaded"),
    STAYED_ON_HOST("connections the policy or the capabilities kept on the host (fail closed)"),
    WAITED_FOR_LOWER("offloads postponed until a path or neighbor finished its own initiate or terminate"),
    TERMINATES("terminate requests issued (one per tree)"),
    CONNECTIONS_UPLOADED("connections whose terminate completed and that resumed on the host"),
    CONNECTIONS_LOST("connections whose terminate failed or that were reset while offloaded; closed on the host"),
    PATHS_TERMINATED("path objects terminated"),
    NEIGHBORS_TERMINATED("neighbor objects terminated"),
    UPDATES("update requests issued"),
    UPDATES_FAILED("update completions with FAILURE (the objects are then terminated, spec §3.3.5)"),
    RELINKS("paths moved to a new neighbor after a next-hop change (spec §3.3.3)"),
    INVALIDATES("invalidate requests issued"),
    QUERIES("query requests issued"),
    SEND_REQUESTS("send requests posted"),
    SEND_BYTES_COMPLETED("send bytes the target completed (acknowledged by the peer)"),
    SEND_UPLOAD_IN_PROGRESS("send requests completed UPLOAD_IN_PROGRESS (re-driven by the host, R-HOST-9)"),
    SEND_ABORTED("send requests completed REQUEST_ABORTED (data discarded, R-HOST-9)"),
    RECEIVE_INDICATIONS("receive indications"),
    RECEIVE_BYTES("bytes taken from receive indications"),
    RECEIVE_REFUSED("receive indications refused in whole or in part (the application's buffer was full)"),
    RECEIVE_REQUESTS("zero-byte receive requests posted to re-enable indications"),
    DISCONNECTS("disconnect requests posted (graceful and abortive)"),
    FORWARDS("segments forwarded to the target (spec §4.7)"),
    HELD_SEGMENTS("segments held while an offload or terminate was outstanding (R-HOST-8)"),
    HELD_SEGMENTS_DROPPED("segments dropped because too many were held (the peer retransmits)"),
    RETRIEVES("TcpIndicateRetrieve events"),
    RETRIEVES_DECLINED("optional upload requests the policy declined (R-TERM-16)"),
    ABORTS("TcpIndicateAbort events"),
    PEER_DISCONNECTS("TcpIndicateDisconnect events"),
    REACHABILITY_QUERIES("NeighborReachabilityQuery indications"),
    REACHABILITY_STALE("NeighborReachabilityQuery answered 0 (the host's neighbor entry was not REACHABLE)"),
    STATUS_INDICATIONS("PAUSE / RESUME / UPLOAD_ALL indications"),
    CAPABILITY_UPLOADS("connections uploaded because a RESUME reported capabilities that no longer admit them"),
    PROTOCOL_VIOLATIONS("completions or indications that break the interface contract (counted and dropped)");

    private final String description;

    OffloadCounter(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
