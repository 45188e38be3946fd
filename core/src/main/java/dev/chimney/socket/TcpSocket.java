package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blocking TCP socket for application threads (virtual threads welcome), over a loop-side {@link TcpChannel}.
 *
 * <p>Every call becomes a command on the stack's event loop; the loop copies bytes between the caller's array and
 * the engine's buffers and completes the command, while the caller parks ({@link
 * java.util.concurrent.locks.LockSupport}; no {@code synchronized}, so a virtual thread never pins its carrier).
 * One thread may read while another writes; concurrent readers (or writers) take turns. Back-pressure: {@link
 * #write} returns only when every byte is in the send buffer; {@link #read} blocks until data, end of stream (-1) or
 * an error. Time-outs (connect, {@link #setSoTimeout read}) run as timers on the loop's clock.
 *
 * <p>Errors: {@link java.net.ConnectException} (refused, handshake timed out), {@link SocketTimeoutException} (our
 * time-outs; the socket stays usable after a read time-out), {@link SocketException} ("connection reset by peer",
 * "socket closed"), {@link java.net.NoRouteToHostException} (no source address, ICMP unreachable), {@link
 * java.io.InterruptedIOException} (the thread was interrupted: the connection is aborted). Never call these
 * methods on the loop's own thread (they would deadlock; an {@link IllegalStateException} says so).
 *
 * <p>Blocking needs a loop that a thread runs (a started {@code NetworkStack} or {@code VirtualNetwork}, or a
 * {@link dev.chimney.runtime.LoopThread}): on a loop nobody runs — a simulator's, or one not started yet — the
 * calls throw {@link IllegalStateException} rather than wait forever. Under a simulator use {@link TcpChannel}.
 *
 * <p>A client that writes and reads at once (from {@code dev.chimney.examples.EchoExample}; {@code host.connect}
 * is {@code host.sockets().newSocket()} followed by {@link #connect(InetSocketAddress)}):
 *
 * {@snippet file="dev/chimney/examples/EchoExample.java" region="echo-client"}
 */
public final class TcpSocket implements AutoCloseable {
    private final SocketStack sockets;
    private final EventLoop loop;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock controlLock = new ReentrantLock();
    private volatile SocketOptions options;

    // application-visible state (volatile: written by the loop or by callers, read by any thread)
    private volatile boolean connecting;
    private volatile boolean connected;
    private volatile boolean closed;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private volatile IpAddress localAddress;
    private volatile int localPort;
    private volatile IpAddress remoteAddress;
    private volatile int remotePort;
    private IpAddress bindAddress;
    private int bindPort;

    // loop-owned
    private TcpChannel channel;
    private ConnectOp pendingConnect;
    private ReadOp pendingRead;
    private WriteOp pendingWrite;
    private final Timer readTimer = Timer.of(this::onReadTimeout);

    private final ReadOp readOp = new ReadOp();
    private final WriteOp writeOp = new WriteOp();
    /** Held in a field: a method reference written at each call site would allocate one object per call. */
    private final Runnable abortOnInterrupt = this::abortOnLoop;
    /** For the streams' one-byte read() and write(int), used under the read / write lock. */
    private final byte[] oneByteIn = new byte[1];
    private final byte[] oneByteOut = new byte[1];
    private InputStream in;
    private OutputStream out;

    private final TcpChannelHandler handler = new TcpChannelHandler() {
        @Override
        public void onConnected(TcpChannel ch) {
            localAddress = ch.localAddress();
            localPort = ch.localPort();
            remoteAddress = ch.remoteAddress();
            remotePort = ch.remotePort();
            connected = true;
            ConnectOp op = pendingConnect;
            if (op != null) {
                pendingConnect = null;
                op.complete(null);
            }
        }

        @Override
        public void onReadable(TcpChannel ch) {
            ReadOp op = pendingRead;
            if (op != null) {
                pendingRead = null;
                runRead(op);
            }
        }

        @Override
        public void onWritable(TcpChannel ch) {
            WriteOp op = pendingWrite;
            if (op != null) {
                pendingWrite = null;
                runWrite(op);
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException error) {
            ConnectOp c = pendingConnect;
            if (c != null) {
                pendingConnect = null;
                c.complete(error != null ? error : new SocketException("socket closed while connecting"));
            }
            onReadable(ch); // a waiting read sees -1 or the error
            WriteOp w = pendingWrite;
            if (w != null) {
                pendingWrite = null;
                w.complete(error != null ? error : new SocketException("connection closed after "
                        + (w.position - w.offset) + " of " + (w.end - w.offset) + " bytes of a write were queued"));
            }
        }
    };

    TcpSocket(SocketStack sockets) {
        this(sockets, SocketOptions.defaults());
    }

    TcpSocket(SocketStack sockets, SocketOptions options) {
        this.sockets = sockets;
        this.loop = sockets.loop();
        this.options = options;
    }

    /** Loop side: this socket takes over an accepted channel (before its onConnected). */
    TcpChannelHandler adopt(TcpChannel ch) {
        this.channel = ch;
        return handler;
    }

    // =========================================================================================================
    // Connecting
    // =========================================================================================================

    /** Chooses our address and/or port for {@link #connect} (null/0 = chosen by the stack). */
    public void bind(IpAddress local, int port) throws SocketException {
        if (connecting || connected) {
            throw new SocketException("bind must come before connect");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535 (0 = ephemeral), got " + port);
        }
        this.bindAddress = local;
        this.bindPort = port;
    }

    /**
     * Chooses our address and/or port for {@link #connect}: the wildcard address ({@code new
     * InetSocketAddress(port)}) leaves the address to the stack, port 0 the port.
     */
    public void bind(InetSocketAddress local) throws SocketException {
        bind(SocketErrors.localOf(local), local.getPort());
    }

    /**
     * Connects to {@code remote}, an IP address and port (this stack resolves no names: an unresolved address is
     * refused), waiting as long as the engine's SYN retries allow (or the connect time-out option).
     *
     * @throws java.net.ConnectException refused (RST) or no answer to the SYNs
     * @throws java.net.NoRouteToHostException no address of the remote's family, or ICMP unreachable
     */
    public void connect(InetSocketAddress remote) throws IOException {
        connect(SocketErrors.remoteOf(remote), remote.getPort());
    }

    /** As {@link #connect(InetSocketAddress)}, giving up with {@link SocketTimeoutException} after {@code timeout}. */
    public void connect(InetSocketAddress remote, Duration timeout) throws IOException {
        connect(SocketErrors.remoteOf(remote), remote.getPort(), timeout);
    }

    /** Connects, waiting as long as the engine's SYN retries allow (or the connect time-out option). */
    public void connect(IpAddress address, int port) throws IOException {
        connect(address, port, Duration.ofNanos(options.connectTimeoutNs()));
    }

    /** Connects, giving up with {@link SocketTimeoutException} after {@code timeout} (zero = no limit). */
    public void connect(IpAddress address, int port, Duration timeout) throws IOException {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
        }
        controlLock.lock();
        try {
            checkOpen();
            if (connecting || connected) {
                throw new SocketException("already connected" + (connected ? " to " + remote() : "")
                        + "; open a new socket for another connection");
            }
            connecting = true;
            ConnectOp op = new ConnectOp(address, port, options.withConnectTimeoutNs(timeout.toNanos()));
            try {
                op.submitAndAwait(sockets, abortOnInterrupt);
            } catch (IOException | RuntimeException e) {
                closed = true; // as java.net.Socket: a failed connect leaves the socket closed; open a new one
                throw e;
            }
        } finally {
            controlLock.unlock();
        }
    }

    private final class ConnectOp extends LoopOp {
        final IpAddress address;
        final int port;
        final SocketOptions connectOptions;

        ConnectOp(IpAddress address, int port, SocketOptions connectOptions) {
            this.address = address;
            this.port = port;
            this.connectOptions = connectOptions;
        }

        @Override
        void onLoop() {
            if (closed) {
                complete(new SocketException("socket closed"));
                return;
            }
            pendingConnect = this;
            channel = sockets.connect(bindAddress, bindPort, address, port, connectOptions, handler);
        }
    }

    // =========================================================================================================
    // Reading
    // =========================================================================================================

    /**
     * Reads up to {@code length} bytes, blocking until at least one is there: returns the count, or -1 at end of
     * stream.
     *
     * @throws SocketTimeoutException when the read time-out passes first (the socket stays usable)
     */
    public int read(byte[] dst, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dst.length);
        readLock.lock();
        try {
            checkOpen();
            if (!connected) {
                throw new SocketException("read on an unconnected socket; call connect() first (or use a socket "
                        + "returned by TcpServerSocket.accept())");
            }
            if (inputShutdown) {
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            ReadOp op = readOp;
            op.dst = dst;
            op.offset = offset;
            op.length = length;
            op.result = 0;
            try {
                op.submitAndAwait(sockets, abortOnInterrupt);
            } finally {
                op.dst = null;
            }
            return op.result;
        } finally {
            readLock.unlock();
        }
    }

    private final class ReadOp extends LoopOp {
        byte[] dst;
        int offset;
        int length;
        int result;

        @Override
        void onLoop() {
            runRead(this);
        }
    }

    private void runRead(ReadOp op) {
        if (closed) {
            cancelReadTimer();
            op.complete(new SocketException("socket closed"));
            return;
        }
        TcpChannel ch = channel;
        int n = ch.read(op.dst, op.offset, op.length);
        if (n > 0 || (n < 0 && ch.error() == null)) {
            cancelReadTimer();
            op.result = n;
            op.complete(null);
        } else if (ch.isClosed()) {
            cancelReadTimer();
            op.result = -1;
            op.complete(ch.error());
        } else {
            pendingRead = op;
            long timeoutNs = options.readTimeoutNs();
            if (timeoutNs > 0 && !readTimer.isArmed()) {
                loop.timers().schedule(readTimer, loop.nowNs() + timeoutNs);
            }
        }
    }

    /** Loop side, for tests: a read is parked waiting for data. */
    boolean hasPendingRead() {
        return pendingRead != null;
    }

    private void cancelReadTimer() {
        loop.timers().cancel(readTimer);
    }

    private void onReadTimeout() {
        ReadOp op = pendingRead;
        if (op != null) {
            pendingRead = null;
            op.complete(new SocketTimeoutException("read timed out after " + options.readTimeoutNs() / 1_000_000
                    + " ms; the socket is still usable"));
        }
    }

    /** Bytes that a read would return without blocking. */
    public int available() throws IOException {
        checkOpen();
        if (!connected || inputShutdown) {
            return 0;
        }
        QueryOp op = new QueryOp(() -> channel.readableBytes());
        op.submitAndAwait(sockets, abortOnInterrupt);
        return (int) op.value;
    }

    // =========================================================================================================
    // Writing
    // =========================================================================================================

    /** Writes every byte, blocking while the send buffer is full. */
    public void write(byte[] src, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, src.length);
        writeLock.lock();
        try {
            checkOpen();
            if (!connected) {
                throw new SocketException("write on an unconnected socket; call connect() first");
            }
            if (outputShutdown) {
                throw new SocketException("write after shutdownOutput(): the output of " + this + " is shut down "
                        + "(FIN queued); write everything before shutting output down");
            }
            if (length == 0) {
                return;
            }
            WriteOp op = writeOp;
            op.src = src;
            op.offset = offset;
            op.position = offset;
            op.end = offset + length;
            try {
                op.submitAndAwait(sockets, abortOnInterrupt);
            } finally {
                op.src = null;
            }
        } finally {
            writeLock.unlock();
        }
    }

    public void write(byte[] src) throws IOException {
        write(src, 0, src.length);
    }

    private final class WriteOp extends LoopOp {
        byte[] src;
        int offset;
        int position;
        int end;

        @Override
        void onLoop() {
            runWrite(this);
        }
    }

    private void runWrite(WriteOp op) {
        TcpChannel ch = channel;
        if (closed) {
            op.complete(new SocketException("socket closed"));
            return;
        }
        if (ch.isClosed()) {
            op.complete(ch.error() != null ? ch.error() : new SocketException("connection closed by peer "
                    + SocketErrors.endpoint(ch.remoteAddress(), ch.remotePort()) + "; cannot write"));
            return;
        }
        while (op.position < op.end) {
            int n = ch.write(op.src, op.position, op.end - op.position);
            if (n == 0) {
                pendingWrite = op; // resumed by onWritable
                return;
            }
            op.position += n;
        }
        op.complete(null);
    }

    // =========================================================================================================
    // Streams
    // =========================================================================================================

    /** A stream view of {@link #read}; closing it closes the socket. */
    public InputStream getInputStream() {
        controlLock.lock();
        try {
            if (in == null) {
                in = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        readLock.lock(); // reentrant: read() takes it again; keeps the shared byte ours
                        try {
                            int n = TcpSocket.this.read(oneByteIn, 0, 1);
                            return n < 0 ? -1 : oneByteIn[0] & 0xFF;
                        } finally {
                            readLock.unlock();
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        return TcpSocket.this.read(b, off, len);
                    }

                    @Override
                    public int available() throws IOException {
                        return TcpSocket.this.available();
                    }

                    @Override
                    public void close() {
                        TcpSocket.this.close();
                    }
                };
            }
            return in;
        } finally {
            controlLock.unlock();
        }
    }

    /** A stream view of {@link #write}; bytes go to the engine at once, so {@code flush} has nothing to do. */
    public OutputStream getOutputStream() {
        controlLock.lock();
        try {
            if (out == null) {
                out = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        writeLock.lock(); // reentrant: write() takes it again; keeps the shared byte ours
                        try {
                            oneByteOut[0] = (byte) b;
                            TcpSocket.this.write(oneByteOut, 0, 1);
                        } finally {
                            writeLock.unlock();
                        }
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        TcpSocket.this.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        TcpSocket.this.close();
                    }
                };
            }
            return out;
        } finally {
            controlLock.unlock();
        }
    }

    // =========================================================================================================
    // Closing
    // =========================================================================================================

    /** Half-close: sends FIN after the written bytes; the peer reads end of stream, we can still read. */
    public void shutdownOutput() throws IOException {
        checkOpen();
        if (!connected) {
            throw new SocketException("shutdownOutput on an unconnected socket; call connect() first");
        }
        if (outputShutdown) {
            return;
        }
        outputShutdown = true;
        new QueryOp(() -> {
            channel.shutdownOutput();
            // the channel reports no more onWritable after this: a write blocked in another thread would wait
            // forever; it fails instead (its bytes queued so far are still sent, before the FIN)
            WriteOp w = pendingWrite;
            if (w != null) {
                pendingWrite = null;
                w.complete(new SocketException("output shut down by another thread while this write was blocked; "
                        + (w.position - w.offset) + " of " + (w.end - w.offset) + " bytes were queued"));
            }
            return 0;
        }).submitAndAwait(sockets, abortOnInterrupt);
    }

    /** Stops reading: reads return -1 and bytes still arriving are discarded. */
    public void shutdownInput() throws IOException {
        checkOpen();
        if (!connected) {
            throw new SocketException("shutdownInput on an unconnected socket; call connect() first");
        }
        if (inputShutdown) {
            return;
        }
        inputShutdown = true;
        new QueryOp(() -> {
            channel.shutdownInput();
            ReadOp op = pendingRead;
            if (op != null) {
                pendingRead = null;
                cancelReadTimer();
                op.result = -1;
                op.complete(null);
            }
            return 0;
        }).submitAndAwait(sockets, abortOnInterrupt);
    }

    /**
     * Closes the socket: the connection finishes gracefully (FIN after the written bytes; reset instead if received
     * bytes were left unread, RFC 2525 §2.17, or with the abort-on-close option). Threads blocked in read or write
     * get "socket closed". Idempotent; returns once the loop has applied it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runControlQuietly(() -> {
            if (channel != null) {
                channel.close();
            }
            failPending(new SocketException("socket closed"));
        });
    }

    /** Resets the connection (RST) and closes the socket; unsent and unread bytes are discarded. */
    public void abort() {
        closed = true;
        runControlQuietly(() -> {
            if (channel != null) {
                channel.abort();
            }
            failPending(new SocketException("socket aborted"));
        });
    }

    /** Loop side: the caller's thread was interrupted; abort so its op completes. */
    private void abortOnLoop() {
        closed = true;
        if (channel != null) {
            channel.abort();
        }
        failPending(new SocketException("socket aborted: a thread blocked on it was interrupted"));
    }

    private void failPending(IOException e) {
        cancelReadTimer();
        ConnectOp c = pendingConnect;
        ReadOp r = pendingRead;
        WriteOp w = pendingWrite;
        pendingConnect = null;
        pendingRead = null;
        pendingWrite = null;
        if (c != null) {
            c.complete(e);
        }
        if (r != null) {
            r.complete(e);
        }
        if (w != null) {
            w.complete(e);
        }
    }

    private void runControlQuietly(Runnable action) {
        if (loop.inLoopThread() || (!loop.isRunning() && !loop.isTerminated())) {
            // closing from loop code is allowed and immediate; so is closing on a loop no thread runs (the simulator
            // driver's own thread, or a loop not started yet), where a command would wait for nobody
            action.run();
            return;
        }
        try {
            new QueryOp(() -> {
                action.run();
                return 0;
            }).submitAndAwait(sockets, () -> {
            });
        } catch (IOException e) {
            // close never fails; an interrupt keeps the thread's interrupt status and the close still happened
        }
    }

    // =========================================================================================================
    // Options
    // =========================================================================================================

    public SocketOptions options() {
        return options;
    }

    /** Replaces all options; on a connected socket Nagle and keepalive changes take effect at once. */
    public void options(SocketOptions newOptions) throws IOException {
        Objects.requireNonNull(newOptions, "options");
        controlLock.lock();
        try {
            options = newOptions;
            if (connected && !closed) {
                new QueryOp(() -> {
                    channel.options(newOptions);
                    return 0;
                }).submitAndAwait(sockets, abortOnInterrupt);
            }
        } finally {
            controlLock.unlock();
        }
    }

    /** TCP_NODELAY: true sends small writes at once (Nagle off). */
    public void setTcpNoDelay(boolean on) throws IOException {
        options(options.withNoDelay(on));
    }

    /** True when Nagle is off: the live connection's setting once connected, else the option (default false). */
    public boolean getTcpNoDelay() throws IOException {
        if (connected && !closed) {
            QueryOp op = new QueryOp(() -> channel.connection().cached().naglingEnabled() ? 0 : 1);
            op.submitAndAwait(sockets, abortOnInterrupt);
            return op.value == 1;
        }
        Boolean v = options.noDelay();
        return v != null && v;
    }

    /** SO_KEEPALIVE with the stack's idle/interval/probe defaults. */
    public void setKeepAlive(boolean on) throws IOException {
        options(options.withKeepAlive(on));
    }

    /** SO_KEEPALIVE on with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT. */
    public void setKeepAlive(Duration idle, Duration interval, int probes) throws IOException {
        options(options.withKeepAlive(idle.toNanos(), interval.toNanos(), probes));
    }

    /** SO_SNDBUF: most bytes written and not yet acknowledged (capped by the engine's send buffer). */
    public void setSendBufferSize(int bytes) throws IOException {
        if (bytes < 1) {
            throw new IllegalArgumentException("send buffer size must be positive, got " + bytes);
        }
        options(options.withSendBufferBytes(bytes));
    }

    public int getSendBufferSize() {
        int engine = sockets.tcp().config().sendBufferBytes();
        int cap = options.sendBufferBytes();
        return cap > 0 ? Math.min(cap, engine) : engine;
    }

    /** SO_RCVBUF: the engine's receive buffer (set per stack with TcpConfig.receiveBufferBytes). */
    public int getReceiveBufferSize() {
        return sockets.tcp().config().receiveBufferBytes();
    }

    /** SO_TIMEOUT for reads (zero = wait forever). Applies to the next read. */
    public void setSoTimeout(Duration timeout) throws IOException {
        options(options.withReadTimeoutNs(timeout.toNanos()));
    }

    public Duration getSoTimeout() {
        return Duration.ofNanos(options.readTimeoutNs());
    }

    /** SO_LINGER with zero time: {@link #close} resets instead of closing gracefully. */
    public void setAbortOnClose(boolean on) throws IOException {
        options(options.withAbortOnClose(on));
    }

    // =========================================================================================================
    // State
    // =========================================================================================================

    public boolean isConnected() {
        return connected;
    }

    public boolean isClosed() {
        return closed;
    }

    public boolean isInputShutdown() {
        return inputShutdown;
    }

    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    /** Our address, or null before connect. */
    public IpAddress localAddress() {
        return localAddress;
    }

    public int localPort() {
        return localPort;
    }

    /** The peer's address, or null before connect. */
    public IpAddress remoteAddress() {
        return remoteAddress;
    }

    public int remotePort() {
        return remotePort;
    }

    /** Our address and port as a {@code java.net} socket address, or null before connect. */
    public InetSocketAddress localSocketAddress() {
        return SocketErrors.socketAddress(localAddress, localPort);
    }

    /** The peer's address and port as a {@code java.net} socket address, or null before connect. */
    public InetSocketAddress remoteSocketAddress() {
        return SocketErrors.socketAddress(remoteAddress, remotePort);
    }

    private String remote() {
        return remoteAddress == null ? "?" : SocketErrors.endpoint(remoteAddress, remotePort);
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("socket closed; open a new socket");
        }
    }

    @Override
    public String toString() {
        return "TcpSocket[" + (localAddress == null ? "unbound" : SocketErrors.endpoint(localAddress, localPort))
                + " -> " + remote() + (closed ? " closed" : connected ? " connected" : "") + "]";
    }

    /** A small control command run on the loop, returning a number. */
    private static final class QueryOp extends LoopOp {
        private final java.util.function.LongSupplier action;
        long value;

        QueryOp(java.util.function.LongSupplier action) {
            this.action = action;
        }

        @Override
        void onLoop() {
            value = action.getAsLong();
            complete(null);
        }
    }
}
