package dev.chimney.chimney.host;

import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpSegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's record of one TCP connection state object (spec §2.5-§2.7) and of its logical switch (spec §1.1): while
 * the connection is offloaded its {@link TcpConnection} is parked and every application step arrives at the manager,
 * which carries it to the target as chimney requests.
 *
 * <p>Send side: the connection's send buffer holds every byte from SND.UNA until the target completes it, so the
 * record only tracks how many of those bytes are posted ({@link #postedBytes}, counted from the first byte not yet
 * released) and which requests are outstanding, oldest first. Receive side: the connection's receive ring is the
 * only receive buffer; see {@link OffloadManager} for indications and the zero-byte receive request.
 */
public final class ConnectionRecord extends OffloadObject {
    final TcpConnection connection;
    /** The path this connection is (to be) offloaded on; fixed for the life of an offload (spec §3.3.1). */
    PathRecord path;

    // ---- send side
    /** Send bytes posted to the target and not completed, counted from the first byte not yet released. */
    int postedBytes;
    /** Outstanding send requests in posting order (completions must come in this order, spec §4.1.3). */
    final ArrayDeque<SendRequest> outstandingSends = new ArrayDeque<>();
    /** A send completed other than SUCCESS: post nothing more; the host re-drives the bytes after the terminate. */
    boolean sendsStopped;
    /** The snapshot already had our FIN queued (offloaded in FIN_WAIT_1, FIN_WAIT_2, CLOSING or LAST_ACK). */
    boolean finInSnapshot;
    /** The application shut its output down while parked: a graceful disconnect follows the posted bytes. */
    boolean finWanted;
    boolean disconnectPosted;
    /** The graceful disconnect completed SUCCESS: our FIN and every byte before it are acknowledged. */
    boolean finAcknowledged;
    /** The application aborted while parked: an abortive disconnect (spec §4.5.2). */
    boolean abortWanted;
    boolean abortPosted;
    /** The abortive disconnect completed SUCCESS: the target sent the RST. */
    boolean abortSent;

    // ---- receive side
    /** An indication was refused in whole or in part: the target waits for a receive request (spec §4.3.3). */
    boolean receiveRefused;
    /** A zero-byte receive request is outstanding. */
    boolean receivePosted;
    /** The peer's FIN is known: in the snapshot, or TcpIndicateDisconnect (after every byte before it). */
    boolean peerFin;

    // ---- segments the host saw for the connection (spec §4.7, R-HOST-8)
    /** Segments that arrived while the offload or the terminate was outstanding, oldest first. */
    final List<TcpSegment> heldSegments = new ArrayList<>();

    // ---- requests that wait for a state change
    boolean keepAliveRestartPending;
    boolean maxRtRestartPending;
    /** The InitialRcvWnd the target was last given: a change is an update with TCP_FLAG_UPDATE_RCV_WND. */
    int offloadedRcvWnd;
    /** The terminate was asked for by a reset (TcpIndicateAbort): close with RESET afterwards. */
    boolean resetAfterTerminate;
    /** Wants to be offloaded once a path or neighbor it needs has finished its own initiate or terminate. */
    boolean waitingForLower;
    /** Bytes the connection had carried when the after-bytes policy started watching it (see OffloadPolicy). */
    int watchSndUna;
    int watchRcvNxt;

    ConnectionRecord(TcpConnection connection) {
        super(StateLayer.TCP);
        this.connection = connection;
    }

    public TcpConnection connection() {
        return connection;
    }

    public PathRecord path() {
        return path;
    }

    /** Clears the per-offload data-path state before a new initiate. */
    void resetDataPath() {
        postedBytes = 0;
        outstandingSends.clear();
        sendsStopped = false;
        finInSnapshot = false;
        finWanted = false;
        disconnectPosted = false;
        finAcknowledged = false;
        abortWanted = false;
        abortPosted = false;
        abortSent = false;
        receiveRefused = false;
        receivePosted = false;
        peerFin = false;
        heldSegments.clear();
        keepAliveRestartPending = false;
        maxRtRestartPending = false;
        resetAfterTerminate = false;
        waitingForLower = false;
    }

    @Override
    String describe() {
        return "connection " + connection.localAddress() + ":" + connection.localPort() + " -> "
                + connection.remoteAddress() + ":" + connection.remotePort();
    }
}
