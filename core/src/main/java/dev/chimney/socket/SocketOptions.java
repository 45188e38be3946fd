package dev.chimney.socket;

/**
 * Per-socket options (immutable; change with the {@code withXxx} methods). A zero or null value means "the stack's
 * default from {@link dev.chimney.tcp.TcpConfig}".
 *
 * @param sendBufferBytes most bytes written and not yet acknowledged (SO_SNDBUF); 0 = the engine's whole send
 *     buffer ({@code TcpConfig.sendBufferBytes}), larger values are capped by it
 * @param noDelay TCP_NODELAY: true turns Nagle's algorithm (RFC 1122 §4.2.3.4) off; null = stack default
 * @param keepAlive SO_KEEPALIVE (RFC 1122 §4.2.3.6); null = stack default
 * @param keepAliveIdleNs idle time before the first probe (TCP_KEEPIDLE); 0 = stack default
 * @param keepAliveIntervalNs time between unanswered probes (TCP_KEEPINTVL); 0 = stack default
 * @param keepAliveProbes unanswered probes before the connection times out (TCP_KEEPCNT); 0 = stack default
 * @param connectTimeoutNs give up an active open after this long with a {@link java.net.SocketTimeoutException};
 *     0 = only the engine's SYN retries limit it
 * @param readTimeoutNs SO_TIMEOUT for blocking reads and accepts; 0 = wait forever
 * @param abortOnClose SO_LINGER with a zero time: {@code close()} resets the connection (RST) instead of the
 *     graceful FIN exchange, discarding unsent data
 */
public record SocketOptions(int sendBufferBytes, Boolean noDelay, Boolean keepAlive, long keepAliveIdleNs,
        long keepAliveIntervalNs, int keepAliveProbes, long connectTimeoutNs, long readTimeoutNs,
        boolean abortOnClose) {

    private static final SocketOptions DEFAULTS = new SocketOptions(0, null, null, 0, 0, 0, 0, 0, false);

    public SocketOptions {
        if (sendBufferBytes < 0) {
            throw new IllegalArgumentException("sendBufferBytes must be >= 0 (0 = stack default), got "
                    + sendBufferBytes);
        }
        if (keepAliveIdleNs < 0 || keepAliveIntervalNs < 0 || keepAliveProbes < 0) {
            throw new IllegalArgumentException("keepalive idle/interval/probes must be >= 0 (0 = stack default), got "
                    + keepAliveIdleNs + "/" + keepAliveIntervalNs + "/" + keepAliveProbes);
        }
        if (connectTimeoutNs < 0 || readTimeoutNs < 0) {
            throw new IllegalArgumentException("time-outs must be >= 0 (0 = none), got connect " + connectTimeoutNs
                    + " ns, read " + readTimeoutNs + " ns");
        }
    }

    /** Everything from the stack's defaults. */
    public static SocketOptions defaults() {
        return DEFAULTS;
    }

    public SocketOptions withSendBufferBytes(int bytes) {
        return new SocketOptions(bytes, noDelay, keepAlive, keepAliveIdleNs, keepAliveIntervalNs, keepAliveProbes,
                connectTimeoutNs, readTimeoutNs, abortOnClose);
    }

    public SocketOptions withNoDelay(boolean on) {
        return new SocketOptions(sendBufferBytes, on, keepAlive, keepAliveIdleNs, keepAliveIntervalNs,
                keepAliveProbes, connectTimeoutNs, readTimeoutNs, abortOnClose);
    }

    public SocketOptions withKeepAlive(boolean on) {
        return new SocketOptions(sendBufferBytes, noDelay, on, keepAliveIdleNs, keepAliveIntervalNs,
                keepAliveProbes, connectTimeoutNs, readTimeoutNs, abortOnClose);
    }

    /** Keepalive on, with idle time, probe interval and probe count (0 = stack default for any of them). */
    public SocketOptions withKeepAlive(long idleNs, long intervalNs, int probes) {
        return new SocketOptions(sendBufferBytes, noDelay, true, idleNs, intervalNs, probes, connectTimeoutNs,
                readTimeoutNs, abortOnClose);
    }

    public SocketOptions withConnectTimeoutNs(long ns) {
        return new SocketOptions(sendBufferBytes, noDelay, keepAlive, keepAliveIdleNs, keepAliveIntervalNs,
                keepAliveProbes, ns, readTimeoutNs, abortOnClose);
    }

    public SocketOptions withReadTimeoutNs(long ns) {
        return new SocketOptions(sendBufferBytes, noDelay, keepAlive, keepAliveIdleNs, keepAliveIntervalNs,
                keepAliveProbes, connectTimeoutNs, ns, abortOnClose);
    }

    public SocketOptions withAbortOnClose(boolean on) {
        return new SocketOptions(sendBufferBytes, noDelay, keepAlive, keepAliveIdleNs, keepAliveIntervalNs,
                keepAliveProbes, connectTimeoutNs, readTimeoutNs, on);
    }
}
