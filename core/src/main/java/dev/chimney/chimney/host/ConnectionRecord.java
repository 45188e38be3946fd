package dev.chimney.chimney.host;

import dev.chimney.chimney.StateLayer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpSegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's record of one TCP connection state object (spec §2.5-§2.7) and of its logical switch (spec §1.1): while
 * the connection is offloaded its {@link TcpConnection} is parked and every application step arrives here, to be
 * carried to the target as chimney requests.
 *
 * <p>Send side: the connection's send buffer holds every byte from SND.UNA until the target completes it, so the
 * record only tracks how many of those bytes have been posted ({@link #postedBytes}, counted from the first byte
 * not yet released). Receive side: the connection's receive ring is the only receive buffer; an indication is taken
 * up to its free space and, after a refusal, one zero-byte receive request re-enables indications once the
 * application has read (see {@link OffloadManager}).
 */
public final class ConnectionRecord extends OffloadObject {
    final TcpConnection connection;
    /** The path this connection is (to be) offloaded on; fixed for the life of an offload (spec §3.3.1). */
    PathRecord path;

    // ---- send side
    /** Send bytes posted to the target and not yet completed, counted from the first byte not yet released. */
    int postedBytes;
    /** The application's FIN was passed as a graceful disconnect request (spec §4.5.3). */
    boolean disconnectPosted;
    /** The graceful disconnect completed SUCCESS: our FIN is acknowledged. */
    boolean finAcknowledged;
    /** An abortive disconnect is wanted (the application aborted); issued once offloaded. */
    boolean abortWanted;
    boolean abortPosted;

    // ---- receive side
    /** An indication was refused in whole or in part: the target waits for a receive request (spec §4.3.3). */
    boolean receiveRefused;
    /** A zero-byte receive request is outstanding. */
    boolean receivePosted;
    /** TcpIndicateDisconnect arrived: the peer's FIN, after every byte before it. */
    boolean peerFin;

    // ---- segments the host saw for the connection (spec §4.7, R-HOST-8)
    /** Segments that arrived while the offload or the terminate was outstanding, oldest first. */
    final List<TcpSegment> heldSegments = new ArrayList<>();

    // ---- requests that wait for a state change
    boolean updatePending;
    boolean keepAliveRestartPending;
    boolean maxRtRestartPending;
    /** A terminate is wanted as soon as the connection is idle (R-HOST-6). */
    boolean terminatePending;
    /** The terminate was asked for by an abort (TcpIndicateAbort): close with RESET afterwards. */
    boolean resetAfterTerminate;
    /** Wants to be offloaded again once a lower object it needs finishes its initiate or terminate. */
    boolean waitingForLower;

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
        disconnectPosted = false;
        finAcknowledged = false;
        abortWanted = false;
        abortPosted = false;
        receiveRefused = false;
        receivePosted = false;
        peerFin = false;
        heldSegments.clear();
        updatePending = false;
        keepAliveRestartPending = false;
        maxRtRestartPending = false;
        terminatePending = false;
        resetAfterTerminate = false;
    }

    @Override
    String describe() {
        return "connection " + connection.localAddress() + ":" + connection.localPort() + " -> "
                + connection.remoteAddress() + ":" + connection.remotePort();
    }
}
