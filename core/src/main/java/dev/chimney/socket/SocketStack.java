package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.IpAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The socket layer of one host: ties a {@link TcpStack} and its {@link EventLoop} to the application APIs. Get it
 * from the host — {@code host.sockets()} on a {@code NetworkStack}, one per host — or build one over a bare TCP
 * engine with a constructor.
 *
 * <ul>
 *   <li>Blocking, for application threads (virtual threads welcome) while a thread runs the loop: {@link
 *       #newSocket()} and {@link #newServerSocket()} ({@code NetworkStack.connect} / {@code listen} open them in one
 *       call).</li>
 *   <li>Loop-side, non-blocking, for loop code and the simulator: {@link #connect(InetSocketAddress,
 *       SocketOptions, TcpChannelHandler)}, {@link #serve} and {@link #listen(IpAddress, int, SocketOptions,
 *       TcpChannelServer.AcceptHandler) listen}, with {@link TcpChannel}s and handler callbacks. Call them on the
 *       loop (under a simulator, from the thread that drives it).</li>
 * </ul>
 *
 * <p>Both forms in one program, on a simulated network:
 *
 * {@snippet file="dev/chimney/examples/SimulatedTransferExample.java" region="simulated"}
 *
 * and blocking, on a real-time one:
 *
 * {@snippet file="dev/chimney/examples/EchoExample.java" region="echo-client"}
 */
public final class SocketStack {
    /** Size of the loop-owned scratch array used to discard input and to stage native-buffer reads. */
    public static final int SCRATCH_BYTES = 64 * 1024;

    private final EventLoop loop;
    private final TcpStack tcp;
    private final SourceAddressSelector sourceSelector;
    private final byte[] scratch = new byte[SCRATCH_BYTES];
    /** Channels with a connection that have not yet reported onClosed: what {@link #closeAll()} closes. */
    private final Set<TcpChannel> openChannels = new LinkedHashSet<>();

    public SocketStack(EventLoop loop, TcpStack tcp, SourceAddressSelector sourceSelector) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.tcp = Objects.requireNonNull(tcp, "tcp");
        this.sourceSelector = Objects.requireNonNull(sourceSelector, "sourceSelector");
        loop.onStop(this::failParkedOps);
    }

    /** A socket layer whose connections leave from the first of {@code localAddresses} of the remote's family. */
    public SocketStack(EventLoop loop, TcpStack tcp, List<? extends IpAddress> localAddresses) {
        this(loop, tcp, SourceAddressSelector.firstOfFamily(localAddresses));
    }

    /**
     * The socket layer of a host: {@code host.sockets()}. A {@code NetworkStack} keeps one socket layer and returns
     * it every time, so this and {@code NetworkStack.sockets()} are the same object; its connections leave from the
     * source address the route towards the remote selects (RFC 6724 for IPv6, through the interface).
     */
    public static SocketStack of(SocketHost host) {
        return Objects.requireNonNull(host, "host").sockets();
    }

    public EventLoop loop() {
        return loop;
    }

    public TcpStack tcp() {
        return tcp;
    }

    /** Loop-owned scratch space (valid only during one loop callback). */
    byte[] scratch() {
        return scratch;
    }

    /** Our address towards {@code remote}, or null. */
    public IpAddress sourceFor(IpAddress remote) {
        return sourceSelector.sourceFor(remote);
    }

    // ------------------------------------------------------------------------------------------ loop side

    /** Blocking calls waiting on the loop for a readiness event or timer (an intrusive list: no allocation). */
    private LoopOp parkedHead;
    private int parkedOps;

    void park(LoopOp op) {
        op.parked = true;
        op.parkedPrev = null;
        op.parkedNext = parkedHead;
        if (parkedHead != null) {
            parkedHead.parkedPrev = op;
        }
        parkedHead = op;
        parkedOps++;
    }

    void unpark(LoopOp op) {
        if (op.parkedPrev != null) {
            op.parkedPrev.parkedNext = op.parkedNext;
        } else {
            parkedHead = op.parkedNext;
        }
        if (op.parkedNext != null) {
            op.parkedNext.parkedPrev = op.parkedPrev;
        }
        op.parkedPrev = null;
        op.parkedNext = null;
        op.parked = false;
        parkedOps--;
    }

    /** Blocking socket calls currently waiting on the loop (on the loop; for tests and diagnostics). */
    public int parkedCalls() {
        return parkedOps;
    }

    /** Stop hook: the loop will not run again, so every blocked application thread is woken with an error. */
    private void failParkedOps() {
        while (parkedHead != null) {
            parkedHead.complete(LoopOp.stopped()); // complete unlinks it
        }
    }

    void channelOpened(TcpChannel ch) {
        openChannels.add(ch);
    }

    void channelEnded(TcpChannel ch) {
        openChannels.remove(ch);
    }

    /** Channels with a connection that has not closed yet (on the loop). */
    public int openChannels() {
        return openChannels.size();
    }

    /** A snapshot of the channels with a connection that has not closed yet (on the loop). */
    public List<TcpChannel> openChannelList() {
        return List.copyOf(openChannels);
    }

    /**
     * Closes every open channel gracefully (on the loop): each sends FIN after its queued bytes, as {@link
     * TcpChannel#close()} does, and its handler hears {@code onClosed} when the connection ends. For a host that
     * shuts down: stop the servers first, then call this and let the loop run until {@link #openChannels()} is 0
     * (or a deadline passes).
     */
    public void closeAll() {
        for (TcpChannel ch : List.copyOf(openChannels)) {
            ch.close();
        }
    }

    /**
     * Active open from an ephemeral port (on the loop). The channel is returned at once in SYN_SENT; {@code
     * handler} hears {@code onConnected} or {@code onClosed} with the reason (a failure found before the SYN — no
     * source address, no free port — is reported by a later {@code onClosed}, never thrown).
     */
    public TcpChannel connect(IpAddress remote, int port, SocketOptions options, TcpChannelHandler handler) {
        return connect(null, 0, remote, port, options, handler);
    }

    /**
     * Active open to {@code remote} (an IP address and port; this stack resolves no names), as {@link
     * #connect(IpAddress, int, SocketOptions, TcpChannelHandler)}.
     */
    public TcpChannel connect(InetSocketAddress remote, SocketOptions options, TcpChannelHandler handler) {
        return connect(SocketErrors.remoteOf(remote), remote.getPort(), options, handler);
    }

    /**
     * Active open from {@code local}:{@code localPort} (null/0 = chosen by the stack).
     */
    public TcpChannel connect(IpAddress local, int localPort, IpAddress remote, int port, SocketOptions options,
            TcpChannelHandler handler) {
        Objects.requireNonNull(remote, "remote");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("remote port must be 1..65535, got " + port);
        }
        if (localPort < 0 || localPort > 65535) {
            throw new IllegalArgumentException("local port must be 0..65535 (0 = ephemeral), got " + localPort);
        }
        TcpChannel ch = new TcpChannel(this, remote, port, Objects.requireNonNull(options, "options"), handler);
        IpAddress source = local != null ? local : sourceSelector.sourceFor(remote);
        if (source == null) {
            ch.failEarly(new NoRouteToHostException("no route to host " + SocketErrors.endpoint(remote, port)
                    + ": no local address of its family (configure an IPv" + (remote.isIpv4() ? 4 : 6)
                    + " address)"));
            return ch;
        }
        TcpConnection c;
        try {
            c = localPort == 0 ? tcp.connect(source, remote, port, ch.engineListener())
                    : tcp.connect(source, localPort, remote, port, ch.engineListener());
        } catch (IllegalStateException | IllegalArgumentException e) {
            ch.failEarly(new SocketException(e.getMessage()));
            return ch;
        }
        ch.attachConnecting(c);
        return ch;
    }

    /**
     * Passive open (on the loop): {@code handler} is told when connections wait; it takes them with {@link
     * TcpChannelServer#accept}.
     *
     * @param local the address to listen on, or null for every local address
     * @throws IllegalStateException if something already listens there
     */
    public TcpChannelServer listen(IpAddress local, int port, SocketOptions options,
            TcpChannelServer.AcceptHandler handler) {
        return listen(local, port, Integer.MAX_VALUE, options, handler); // capped by TcpConfig.acceptBacklog
    }

    /** As {@link #listen(IpAddress, int, SocketOptions, TcpChannelServer.AcceptHandler)} with a backlog limit. */
    public TcpChannelServer listen(IpAddress local, int port, int backlog, SocketOptions options,
            TcpChannelServer.AcceptHandler handler) {
        return new TcpChannelServer(this, local, port, backlog, Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Passive open that accepts every connection at once and gives each the handler {@code handlerFactory} makes
     * (return null to refuse one: it is reset). The usual form for loop-side servers.
     */
    public TcpChannelServer serve(IpAddress local, int port, SocketOptions options,
            Function<TcpChannel, TcpChannelHandler> handlerFactory) {
        Objects.requireNonNull(handlerFactory, "handlerFactory");
        return listen(local, port, options, server -> {
            while (server.accept(handlerFactory) != null) {
                // accept everything that waits
            }
        });
    }

    // ------------------------------------------------------------------------------------------ application side

    /** A new unconnected blocking socket (call from any thread except the loop's). */
    public TcpSocket newSocket() {
        return new TcpSocket(this);
    }

    /** A new unbound blocking server socket (call from any thread except the loop's). */
    public TcpServerSocket newServerSocket() {
        return new TcpServerSocket(this);
    }
}
