package dev.chimney.tcp;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;

/**
 * Initial sequence numbers per RFC 6528 §3: {@code ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey)}, where M is a timer ticking every 4 microseconds and F is a keyed pseudorandom function, here
 * SipHash-2-4 ({@link SipHash}) with a 128-bit key drawn once from a {@link SeededRandom}.
 *
 * <p>Why: an off-path attacker cannot predict another connection's ISN (F is secret), while successive
 * incarnations of one 4-tuple get increasing ISNs (M advances), so old duplicates are unlikely to fall into the
 * new connection's window (RFC 9293 §3.4.1). M wraps every 2^32 × 4 µs ≈ 4.77 hours.
 *
 * <p>The PRF input is the byte string {@code localAddress ‖ remoteAddress ‖ localPort ‖ remotePort}, addresses and
 * ports in network byte order (12 bytes for IPv4, 36 for IPv6). Deterministic: the same seed and clock give the
 * same ISNs, so a run replays. One instance per event loop (it reuses a scratch buffer: not thread-safe, no
 * allocation per call).
 */
public final class IsnGenerator {

    /** RFC 6528 §3: "M is the 4 microsecond timer". */
    public static final long TICK_NS = 4_000L;

    private final long k0;
    private final long k1;
    private final byte[] scratch = new byte[36];

    /** Draws the secret key from {@code random} (fork a dedicated stream, e.g. {@code random.fork("isn")}). */
    public IsnGenerator(final SeededRandom random) {
        this(random.nextLong(), random.nextLong());
    }

    /** Uses an explicit 128-bit key (tests, or a key restored after a restart). */
    public IsnGenerator(final long k0, final long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /**
     * The ISN for a connection between {@code local} and {@code remote} (both IPv4 or both IPv6).
     *
     * @param localPort 0..65535
     * @param remotePort 0..65535
     * @param nowNs the loop clock
     */
    public int isn(final IpAddress local, final int localPort, final IpAddress remote, final int remotePort,
            final long nowNs) {
        if (local instanceof Ipv4Address l4 && remote instanceof Ipv4Address r4) {
            return isnV4(l4.bits(), localPort, r4.bits(), remotePort, nowNs);
        }
        if (local instanceof Ipv6Address l6 && remote instanceof Ipv6Address r6) {
            return isnV6(l6.hi(), l6.lo(), localPort, r6.hi(), r6.lo(), remotePort, nowNs);
        }
        throw new IllegalArgumentException("local and remote addresses must be the same family, got " + local
                + " and " + remote);
    }

    /** IPv4 form: addresses as the big-endian {@code int} of {@link Ipv4Address#bits()}. */
    public int isnV4(final int localIp, final int localPort, final int remoteIp, final int remotePort,
            final long nowNs) {
        putInt(0, localIp);
        putInt(4, remoteIp);
        putPorts(8, localPort, remotePort);
        return clockTicks(nowNs) + (int) SipHash.hash(k0, k1, scratch, 0, 12);
    }

    /** IPv6 form: addresses as the two big-endian halves of {@link Ipv6Address}. */
    public int isnV6(final long localHi, final long localLo, final int localPort, final long remoteHi,
            final long remoteLo, final int remotePort, final long nowNs) {
        putLong(0, localHi);
        putLong(8, localLo);
        putLong(16, remoteHi);
        putLong(24, remoteLo);
        putPorts(32, localPort, remotePort);
        return clockTicks(nowNs) + (int) SipHash.hash(k0, k1, scratch, 0, 36);
    }

    /** M of RFC 6528 §3: the clock in 4 µs ticks, modulo 2^32. */
    static int clockTicks(final long nowNs) {
        return (int) Math.floorDiv(nowNs, TICK_NS);
    }

    private void putPorts(final int at, final int localPort, final int remotePort) {
        if ((localPort | remotePort) >>> 16 != 0) {
            throw new IllegalArgumentException("TCP ports are 0..65535, got " + localPort + " and " + remotePort);
        }
        scratch[at] = (byte) (localPort >>> 8);
        scratch[at + 1] = (byte) localPort;
        scratch[at + 2] = (byte) (remotePort >>> 8);
        scratch[at + 3] = (byte) remotePort;
    }

    private void putInt(final int at, final int value) {
        scratch[at] = (byte) (value >>> 24);
        scratch[at + 1] = (byte) (value >>> 16);
        scratch[at + 2] = (byte) (value >>> 8);
        scratch[at + 3] = (byte) value;
    }

    private void putLong(final int at, final long value) {
        putInt(at, (int) (value >>> 32));
        putInt(at + 4, (int) value);
    }
}
