package dev.chimney.tcp;

import dev.chimney.wire.IpAddress;
import java.util.ArrayDeque;

/**
 * A passive open on (local address or any, port) (RFC 9293 §3.10.7.2): answers SYNs, keeps a bounded SYN queue of
 * SYN_RECEIVED connections and a bounded accept backlog of ESTABLISHED ones (limits from {@link TcpConfig}).
 */
public final class TcpListener {

    /** Told when a connection is waiting in the accept backlog. */
    @FunctionalInterface
    public interface Handler {
        void onAcceptable(TcpListener listener);
    }

    private final TcpStack stack;
    private final IpAddress localAddress;
    private final int localPort;
    private final Handler handler;
    /** Most established connections waiting for accept (listen(2)'s backlog; at most TcpConfig.acceptBacklog). */
    private final int backlogLimit;
    private final ArrayDeque<TcpConnection> backlog = new ArrayDeque<>();
    private int synQueue;
    private boolean closed;

    TcpListener(TcpStack stack, IpAddress localAddress, int localPort, int backlogLimit, Handler handler) {
        this.stack = stack;
        this.backlogLimit = backlogLimit;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.handler = handler;
    }

    /** The bound address, or null for every local address. */
    public IpAddress localAddress() {
        return localAddress;
    }

    public int localPort() {
        return localPort;
    }

    /** Connections in SYN_RECEIVED. */
    public int synQueueLength() {
        return synQueue;
    }

    /** Most connections that may wait in the accept backlog. */
    public int backlogLimit() {
        return backlogLimit;
    }

    public int backlogLength() {
        return backlog.size();
    }

    /** The next established connection, or null when none waits. */
    public TcpConnection accept() {
        return backlog.poll();
    }

    /** Stops listening; queued connections not yet accepted are aborted (RST). */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stack.unlisten(this);
        TcpConnection c;
        while ((c = backlog.poll()) != null) {
            c.abort();
        }
    }

    /** RFC 9293 §3.10.7.2: a segment for the LISTEN state. */
    void onSegment(long nowNs, IpAddress remote, IpAddress local, TcpSegment seg) {
        if (seg.has(TcpFlags.RST)) {
            return; // first: an incoming RST is ignored
        }
        if (seg.has(TcpFlags.ACK)) {
            stack.count(TcpCounter.DROP_NO_CONNECTION);
            stack.sendReset(local, remote, seg); // second: any ACK is bad here, <SEQ=SEG.ACK><CTL=RST>
            return;
        }
        if (!seg.has(TcpFlags.SYN)) {
            return; // fourth: other text or control, drop
        }
        if (synQueue >= stack.config().synQueueLimit) {
            stack.count(TcpCounter.DROP_SYN_QUEUE_FULL);
            return;
        }
        if (backlog.size() >= backlogLimit) {
            stack.count(TcpCounter.DROP_BACKLOG_FULL);
            if (stack.config().backlogFullAction == TcpConfig.BacklogFullAction.RESET) {
                stack.sendReset(local, remote, seg); // refuse at once: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>
            }
            return;
        }
        stack.count(TcpCounter.PASSIVE_OPENS);
        TcpConnection c = new TcpConnection(stack, local, localPort, remote, seg.sourcePort(),
                stack.output().pathMtu(local, remote), stack.defaultCached());
        c.owner = this;
        synQueue++;
        stack.add(c);
        c.openPassive(nowNs, seg, stack.isn(local, localPort, remote, seg.sourcePort(), nowNs));
    }

    /** The handshake of {@code c} is about to complete: is there room in the backlog? Applies the policy if not. */
    boolean admit(TcpConnection c) {
        if (!closed && backlog.size() < backlogLimit) {
            return true;
        }
        stack.count(TcpCounter.DROP_BACKLOG_FULL);
        if (closed || stack.config().backlogFullAction == TcpConfig.BacklogFullAction.RESET) {
            c.abort();
        }
        return false;
    }

    void established(TcpConnection c) {
        synQueue--;
        c.owner = null;
        backlog.add(c);
        handler.onAcceptable(this);
    }

    /** A SYN_RECEIVED child went away before completing. */
    void embryoGone() {
        synQueue--;
    }
}
