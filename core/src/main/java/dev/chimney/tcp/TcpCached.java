package dev.chimney.tcp;

/**
 * The connection's cached variables (spec §2.6 {@code TCP_OFFLOAD_STATE_CACHED}): owned by the host, changed only
 * through {@link TcpConnection#updateCached}. Time values are in ticks of the stack's {@code ticksPerSecond}.
 *
 * @param keepAliveEnabled TCP_FLAG_KEEP_ALIVE_ENABLED
 * @param naglingEnabled TCP_FLAG_NAGLING_ENABLED (RFC 1122 §4.2.3.4)
 * @param initialRcvWnd default receive window in bytes (the receive buffer size)
 * @param rcvIndicationSize preferred bytes per receive indication; advice only, 0 = unspecified
 * @param kaProbeCount keepalive probes before giving up
 * @param kaTimeoutTicks idle ticks before the first keepalive probe
 * @param kaIntervalTicks ticks between unanswered keepalive probes
 * @param maxRtTicks MaxRT (spec §6.1): 0 = retransmission count limit, -1 = no limit, else a time budget
 * @param flowLabel IPv6 flow label
 * @param ttlOrHopLimit IPv4 TTL / IPv6 hop limit
 * @param tosOrTrafficClass IPv4 TOS / IPv6 traffic class
 * @param userPriority 802.1p priority (0..7)
 */
public record TcpCached(boolean keepAliveEnabled, boolean naglingEnabled, int initialRcvWnd, int rcvIndicationSize,
        int kaProbeCount, long kaTimeoutTicks, long kaIntervalTicks, long maxRtTicks, int flowLabel,
        int ttlOrHopLimit, int tosOrTrafficClass, int userPriority) {

    public TcpCached {
        if (initialRcvWnd < 1 || kaProbeCount < 0 || kaTimeoutTicks < 0 || kaIntervalTicks < 0 || maxRtTicks < -1) {
            throw new IllegalArgumentException("bad cached TCP state: initialRcvWnd=" + initialRcvWnd
                    + " kaProbeCount=" + kaProbeCount + " kaTimeoutTicks=" + kaTimeoutTicks + " kaIntervalTicks="
                    + kaIntervalTicks + " maxRtTicks=" + maxRtTicks + " (MaxRT: -1 no limit, 0 count, >0 ticks)");
        }
        if (ttlOrHopLimit < 1 || ttlOrHopLimit > 255 || tosOrTrafficClass < 0 || tosOrTrafficClass > 255
                || (flowLabel & ~0xF_FFFF) != 0) {
            throw new IllegalArgumentException("bad cached IP fields: ttlOrHopLimit=" + ttlOrHopLimit
                    + " (1..255) tosOrTrafficClass=" + tosOrTrafficClass + " (0..255) flowLabel=" + flowLabel
                    + " (20 bits)");
        }
        if (userPriority < 0 || userPriority > 7) {
            throw new IllegalArgumentException("userPriority is 3 bits (0..7), got " + userPriority);
        }
    }

    /** The defaults a new connection takes from the stack configuration. */
    static TcpCached defaults(TcpConfig c) {
        return new TcpCached(c.keepAlive, c.nagle, c.receiveBufferBytes, 0, c.keepAliveProbes,
                c.keepAliveIdleNs / c.tickNs, c.keepAliveIntervalNs / c.tickNs, 0, 0, c.ttl, 0, 0);
    }

    public TcpCached withKeepAlive(boolean enabled, int probes, long timeoutTicks, long intervalTicks) {
        return new TcpCached(enabled, naglingEnabled, initialRcvWnd, rcvIndicationSize, probes, timeoutTicks,
                intervalTicks, maxRtTicks, flowLabel, ttlOrHopLimit, tosOrTrafficClass, userPriority);
    }

    public TcpCached withNagling(boolean enabled) {
        return new TcpCached(keepAliveEnabled, enabled, initialRcvWnd, rcvIndicationSize, kaProbeCount,
                kaTimeoutTicks, kaIntervalTicks, maxRtTicks, flowLabel, ttlOrHopLimit, tosOrTrafficClass,
                userPriority);
    }

    /** The per-packet IP fields (spec §2.6): TTL / hop limit, TOS / traffic class, IPv6 flow label. */
    public TcpCached withIpFields(int ttlOrHopLimit, int tosOrTrafficClass, int flowLabel) {
        return new TcpCached(keepAliveEnabled, naglingEnabled, initialRcvWnd, rcvIndicationSize, kaProbeCount,
                kaTimeoutTicks, kaIntervalTicks, maxRtTicks, flowLabel, ttlOrHopLimit, tosOrTrafficClass, userPriority);
    }

    /** InitialRcvWnd (spec §2.6); applied with TCP_FLAG_UPDATE_RCV_WND semantics by {@code updateCached}. */
    public TcpCached withInitialRcvWnd(int bytes) {
        return new TcpCached(keepAliveEnabled, naglingEnabled, bytes, rcvIndicationSize, kaProbeCount,
                kaTimeoutTicks, kaIntervalTicks, maxRtTicks, flowLabel, ttlOrHopLimit, tosOrTrafficClass, userPriority);
    }

    public TcpCached withMaxRtTicks(long ticks) {
        return new TcpCached(keepAliveEnabled, naglingEnabled, initialRcvWnd, rcvIndicationSize, kaProbeCount,
                kaTimeoutTicks, kaIntervalTicks, ticks, flowLabel, ttlOrHopLimit, tosOrTrafficClass, userPriority);
    }
}
