package dev.chimney.chimney;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every status the chimney uses (spec §3.0, §3.1.3, §4.1.3, §4.2.3, §4.3.2), named after its {@code NDIS_STATUS_}
 * constant without the prefix.
 */
public enum OffloadStatus {
    SUCCESS,
    /** Only the initiate traversal writes it (spec §3.1.4). */
    OFFLOAD_PARTIAL_SUCCESS,
    FAILURE,
    RESOURCES,
    OFFLOAD_TCP_ENTRIES,
    OFFLOAD_PATH_ENTRIES,
    OFFLOAD_NEIGHBOR_ENTRIES,
    OFFLOAD_HW_ADDRESS_ENTRIES,
    OFFLOAD_IP_ADDRESS_ENTRIES,
    OFFLOAD_TCP_XMIT_BUFFER,
    OFFLOAD_TCP_RCV_BUFFER,
    OFFLOAD_TCP_RCV_WINDOW,
    OFFLOAD_VLAN_ENTRIES,
    OFFLOAD_VLAN_MISMATCH,
    OFFLOAD_PATH_MTU,
    OFFLOAD_CONNECTION_REJECTED,
    /** A data request met an upload in progress: the host queues the data and handles it itself (spec §3.2.7). */
    UPLOAD_IN_PROGRESS,
    /** RST received, abortive disconnect or hardware failure: the host discards the data (spec §4.1.3). */
    REQUEST_ABORTED,
    /** A receive posted after TcpIndicateDisconnect (spec §4.2.3). */
    INVALID_STATE,
    /** An intermediate target could not pass a send down: first request of the chain (spec §2.15). */
    REQUEST_UPLOAD,
    /** An intermediate target could not pass a send down: every later request of the chain (spec §2.15). */
    UPLOAD_REQUESTED,
    /** Receive-indication return: the host took part of the data (spec §4.3.2). */
    OFFLOAD_DATA_PARTIALLY_ACCEPTED,
    /** Receive-indication return: the host took none of the data (spec §4.3.2). */
    OFFLOAD_DATA_NOT_ACCEPTED,
    /** Capabilities query through an intermediate target that allows no offload (spec §2.15, R-IM-5). */
    NOT_SUPPORTED,
    /** Never used by a conforming target for chimney I/O (spec §5.1.1); present so tests can assert its absence. */
    PAUSED;

    private static final Set<OffloadStatus> INITIATE = EnumSet.range(SUCCESS, OFFLOAD_CONNECTION_REJECTED);
    private static final Set<OffloadStatus> OTHER_OPERATIONS = EnumSet.of(SUCCESS, FAILURE);

    /**
     * Whether a block list of {@code operation} may carry this status (spec §3.0 item 3, R-OFF-11, R-TERM-2,
     * R-UPD-9): the initiate list, or only SUCCESS / FAILURE for query, update, invalidate and terminate.
     */
    public boolean allowedFor(OffloadOperation operation) {
        return operation == OffloadOperation.INITIATE ? INITIATE.contains(this) : OTHER_OPERATIONS.contains(this);
    }

    /** True for SUCCESS and OFFLOAD_PARTIAL_SUCCESS: the node itself is offloaded (spec §3.1.4). */
    public boolean isOffloaded() {
        return this == SUCCESS || this == OFFLOAD_PARTIAL_SUCCESS;
    }
}
