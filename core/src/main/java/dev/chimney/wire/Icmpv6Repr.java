package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The ICMPv6 (RFC 4443) and NDP (RFC 4861) messages the stack handles, as values. Error and echo messages keep their
 * data in the buffer ({@link #emit} checksums the {@code dataLength} bytes already in place after the 8-byte header);
 * NDP messages carry their options in {@link NdpOptions}. The IP layer must additionally check NDP's hop limit 255
 * (RFC 4861 §6.1.1, §7.1.1) — this parser sees only the ICMPv6 message.
 */
public sealed interface Icmpv6Repr {

    record EchoRequest(int identifier, int sequence, int dataLength) implements Icmpv6Repr {
        public EchoRequest {
            checkFields(identifier, sequence, dataLength);
        }
    }

    record EchoReply(int identifier, int sequence, int dataLength) implements Icmpv6Repr {
        public EchoReply {
            checkFields(identifier, sequence, dataLength);
        }
    }

    /** Codes per RFC 4443 §3.1 (0 no route, 1 prohibited, 3 address unreachable, 4 port unreachable, ...). */
    record DestinationUnreachable(int code, int dataLength) implements Icmpv6Repr {
        public DestinationUnreachable {
            checkU8(code);
            checkFields(0, 0, dataLength);
        }
    }

    /** RFC 4443 §3.2; the MTU drives path MTU discovery (RFC 8201). */
    record PacketTooBig(long mtu, int dataLength) implements Icmpv6Repr {
        public PacketTooBig {
            checkFields(0, 0, dataLength);
            checkU32(mtu);
        }
    }

    record TimeExceeded(int code, int dataLength) implements Icmpv6Repr {
        public TimeExceeded {
            checkU8(code);
            checkFields(0, 0, dataLength);
        }
    }

    record ParameterProblem(int code, long pointer, int dataLength) implements Icmpv6Repr {
        public ParameterProblem {
            checkU8(code);
            checkFields(0, 0, dataLength);
            checkU32(pointer);
        }
    }

    record RouterSolicitation(NdpOptions options) implements Icmpv6Repr {
        public RouterSolicitation {
            Objects.requireNonNull(options, "options (use NdpOptions.EMPTY)");
        }
    }

    record RouterAdvertisement(int hopLimit, boolean managed, boolean other, int routerLifetimeSeconds,
                               long reachableTimeMs, long retransTimerMs, NdpOptions options) implements Icmpv6Repr {
        public RouterAdvertisement {
            Objects.requireNonNull(options, "options (use NdpOptions.EMPTY)");
            checkU8(hopLimit);
            checkFields(0, routerLifetimeSeconds, 0);
            checkU32(reachableTimeMs);
            checkU32(retransTimerMs);
        }
    }

    record NeighborSolicitation(Ipv6Address target, NdpOptions options) implements Icmpv6Repr {
        public NeighborSolicitation {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(options, "options (use NdpOptions.EMPTY)");
        }
    }

    record NeighborAdvertisement(boolean router, boolean solicited, boolean override, Ipv6Address target,
                                 NdpOptions options) implements Icmpv6Repr {
        public NeighborAdvertisement {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(options, "options (use NdpOptions.EMPTY)");
        }
    }

    record Redirect(Ipv6Address target, Ipv6Address destination, NdpOptions options) implements Icmpv6Repr {
        public Redirect {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(options, "options (use NdpOptions.EMPTY)");
        }
    }

    private static void checkFields(final int a, final int b, final int dataLength) {
        if (a < 0 || a > 0xFFFF || b < 0 || b > 0xFFFF || dataLength < 0 || dataLength > 0xFFFF) {
            throw new IllegalArgumentException("ICMPv6: identifiers, sequence numbers and router lifetimes are "
                    + "0..65535, data length 0..65535");
        }
    }

    private static void checkU8(final int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("ICMPv6: codes and hop limits are 0..255, got " + v);
        }
    }

    private static void checkU32(final long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("ICMPv6: 32-bit field out of range: " + v);
        }
    }

    /** Parses and verifies the checksum against the pseudo-header {@code src} → {@code dst}. */
    static Icmpv6Repr parse(final Icmpv6View v, final Ipv6Address src, final Ipv6Address dst)
            throws WireFormatException {
        v.check();
        if (!v.checksumOk(Checksum.pseudoHeaderV6(src, dst, IpProtocol.ICMPV6, v.length()))) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "ICMPv6: bad checksum");
        }
        return parseUnchecked(v);
    }

    /** Parses the message carried by a checked IPv6 view. */
    static Icmpv6Repr parse(final Icmpv6View v, final Ipv6View ip, final boolean verifyChecksum)
            throws WireFormatException {
        v.check();
        if (verifyChecksum && !v.checksumOk(ip.pseudoHeaderSum(IpProtocol.ICMPV6, (int) v.length()))) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "ICMPv6: bad checksum");
        }
        return parseUnchecked(v);
    }

    private static Icmpv6Repr parseUnchecked(final Icmpv6View v) throws WireFormatException {
        return switch (v.type()) {
            case Icmpv6View.TYPE_ECHO_REQUEST -> new EchoRequest(v.identifier(), v.sequence(), v.dataLength());
            case Icmpv6View.TYPE_ECHO_REPLY -> new EchoReply(v.identifier(), v.sequence(), v.dataLength());
            case Icmpv6View.TYPE_DEST_UNREACHABLE -> new DestinationUnreachable(v.code(), v.dataLength());
            case Icmpv6View.TYPE_PACKET_TOO_BIG -> new PacketTooBig(v.mtu(), v.dataLength());
            case Icmpv6View.TYPE_TIME_EXCEEDED -> new TimeExceeded(v.code(), v.dataLength());
            case Icmpv6View.TYPE_PARAMETER_PROBLEM -> new ParameterProblem(v.code(), v.pointer(), v.dataLength());
            case Icmpv6View.TYPE_ROUTER_SOLICITATION -> new RouterSolicitation(options(v));
            case Icmpv6View.TYPE_ROUTER_ADVERTISEMENT -> new RouterAdvertisement(v.raHopLimit(),
                    (v.raFlags() & Icmpv6View.RA_FLAG_MANAGED) != 0, (v.raFlags() & Icmpv6View.RA_FLAG_OTHER) != 0,
                    v.raRouterLifetimeSeconds(), v.raReachableTimeMs(), v.raRetransTimerMs(), options(v));
            case Icmpv6View.TYPE_NEIGHBOR_SOLICITATION -> {
                if (v.target().isMulticast()) {
                    throw new WireFormatException(WireFormatException.Reason.MALFORMED,
                            "NDP: NS target is multicast (RFC 4861 §7.1.1)");
                }
                yield new NeighborSolicitation(v.target(), options(v));
            }
            case Icmpv6View.TYPE_NEIGHBOR_ADVERTISEMENT -> {
                if (v.target().isMulticast()) {
                    throw new WireFormatException(WireFormatException.Reason.MALFORMED,
                            "NDP: NA target is multicast (RFC 4861 §7.1.2)");
                }
                final int f = v.naFlags();
                yield new NeighborAdvertisement((f & Icmpv6View.NA_FLAG_ROUTER) != 0,
                        (f & Icmpv6View.NA_FLAG_SOLICITED) != 0, (f & Icmpv6View.NA_FLAG_OVERRIDE) != 0, v.target(),
                        options(v));
            }
            case Icmpv6View.TYPE_REDIRECT -> new Redirect(v.target(), v.redirectDestination(), options(v));
            default -> throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "ICMPv6: type " + v.type() + " not handled");
        };
    }

    private static NdpOptions options(final Icmpv6View v) throws WireFormatException {
        return NdpOptions.parse(v.segment(), v.ndpOptionsOffset(), v.end());
    }

    /** Message length: header plus body (data, or NDP fixed fields and options). */
    default int bufferLen() {
        return switch (this) {
            case EchoRequest e -> 8 + e.dataLength();
            case EchoReply e -> 8 + e.dataLength();
            case DestinationUnreachable d -> 8 + d.dataLength();
            case PacketTooBig p -> 8 + p.dataLength();
            case TimeExceeded t -> 8 + t.dataLength();
            case ParameterProblem p -> 8 + p.dataLength();
            case RouterSolicitation r -> 8 + r.options().bufferLen();
            case RouterAdvertisement r -> 16 + r.options().bufferLen();
            case NeighborSolicitation n -> 24 + n.options().bufferLen();
            case NeighborAdvertisement n -> 24 + n.options().bufferLen();
            case Redirect r -> 40 + r.options().bufferLen();
        };
    }

    /** Writes the message and its checksum with the IPv6 pseudo-header {@code src} → {@code dst}. */
    default void emit(final MemorySegment seg, final long offset, final Ipv6Address src, final Ipv6Address dst) {
        final int len = bufferLen();
        final Icmpv6View v = new Icmpv6View().wrap(seg, offset, len);
        v.code(0);
        switch (this) {
            case EchoRequest e -> v.type(Icmpv6View.TYPE_ECHO_REQUEST).word1(e.identifier() << 16 | e.sequence());
            case EchoReply e -> v.type(Icmpv6View.TYPE_ECHO_REPLY).word1(e.identifier() << 16 | e.sequence());
            case DestinationUnreachable d -> v.type(Icmpv6View.TYPE_DEST_UNREACHABLE).code(d.code()).word1(0);
            case PacketTooBig p -> v.type(Icmpv6View.TYPE_PACKET_TOO_BIG).word1((int) p.mtu());
            case TimeExceeded t -> v.type(Icmpv6View.TYPE_TIME_EXCEEDED).code(t.code()).word1(0);
            case ParameterProblem p -> v.type(Icmpv6View.TYPE_PARAMETER_PROBLEM).code(p.code())
                    .word1((int) p.pointer());
            case RouterSolicitation r -> {
                v.type(Icmpv6View.TYPE_ROUTER_SOLICITATION).word1(0);
                r.options().emit(seg, offset + 8);
            }
            case RouterAdvertisement r -> {
                v.type(Icmpv6View.TYPE_ROUTER_ADVERTISEMENT).word1(r.hopLimit() << 24
                        | (r.managed() ? Icmpv6View.RA_FLAG_MANAGED : 0) << 16
                        | (r.other() ? Icmpv6View.RA_FLAG_OTHER : 0) << 16 | r.routerLifetimeSeconds());
                Bytes.u32(seg, offset + Icmpv6View.RA_REACHABLE_TIME_OFFSET, (int) r.reachableTimeMs());
                Bytes.u32(seg, offset + Icmpv6View.RA_RETRANS_TIMER_OFFSET, (int) r.retransTimerMs());
                r.options().emit(seg, offset + 16);
            }
            case NeighborSolicitation n -> {
                v.type(Icmpv6View.TYPE_NEIGHBOR_SOLICITATION).word1(0);
                Bytes.ipv6(seg, offset + Icmpv6View.TARGET_OFFSET, n.target());
                n.options().emit(seg, offset + 24);
            }
            case NeighborAdvertisement n -> {
                v.type(Icmpv6View.TYPE_NEIGHBOR_ADVERTISEMENT).word1(((n.router() ? Icmpv6View.NA_FLAG_ROUTER : 0)
                        | (n.solicited() ? Icmpv6View.NA_FLAG_SOLICITED : 0)
                        | (n.override() ? Icmpv6View.NA_FLAG_OVERRIDE : 0)) << 24);
                Bytes.ipv6(seg, offset + Icmpv6View.TARGET_OFFSET, n.target());
                n.options().emit(seg, offset + 24);
            }
            case Redirect r -> {
                v.type(Icmpv6View.TYPE_REDIRECT).word1(0);
                Bytes.ipv6(seg, offset + Icmpv6View.TARGET_OFFSET, r.target());
                Bytes.ipv6(seg, offset + Icmpv6View.REDIRECT_DESTINATION_OFFSET, r.destination());
                r.options().emit(seg, offset + 40);
            }
        }
        v.fillChecksum(Checksum.pseudoHeaderV6(src, dst, IpProtocol.ICMPV6, len));
    }
}
