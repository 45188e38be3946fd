package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * Test helper: parses a frame through every layer with views and reprs, calling every accessor after {@code check()}.
 * Returns the {@link WireFormatException} that stopped it (or null); any other throwable propagates and fails the
 * calling test — the contract under test is "hostile bytes only ever produce WireFormatException".
 */
final class Dissector {
    private Dissector() {
    }

    static WireFormatException dissect(final MemorySegment f) {
        try {
            final EthernetView eth = new EthernetView().wrap(f).check();
            EthernetRepr.parse(eth);
            touch(eth.destinationBits(), eth.sourceBits(), eth.vlanPcp(), eth.vlanId(), eth.vlanDei() ? 1 : 0,
                    eth.payload().byteSize());
            switch (eth.etherType()) {
                case EtherType.ARP -> {
                    final ArpView a = new ArpView().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
                    touch(a.operation(), a.senderIpBits(), a.targetIpBits(), a.senderMacBits(), a.targetMacBits());
                    ArpRepr.parse(a);
                }
                case EtherType.IPV4 -> {
                    final Ipv4View ip = new Ipv4View().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
                    touch(ip.tos(), ip.dscp(), ip.ecn(), ip.identification(), ip.ttl(), ip.checksum(),
                            ip.fragmentOffsetBytes(), ip.isFragment() ? 1 : 0, ip.payload().byteSize());
                    Ipv4Repr.parse(ip);
                    if (!ip.isFragment()) {
                        upper(ip);
                    }
                }
                case EtherType.IPV6 -> {
                    final Ipv6View ip = new Ipv6View().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
                    touch(ip.trafficClass(), ip.flowLabel(), ip.hopLimit(), ip.fragmentIdentification(),
                            ip.fragmentOffsetBytes(), ip.payload().byteSize(), ip.sourceLo(), ip.destinationHi());
                    if (!ip.isFragment()) {
                        Ipv6Repr.parse(ip);
                        upper(ip);
                    }
                }
                default -> {
                }
            }
            return null;
        } catch (final WireFormatException e) {
            return e;
        }
    }

    private static void upper(final IpView ip) throws WireFormatException {
        final MemorySegment f = ip.segment();
        switch (ip.upperProtocol()) {
            case IpProtocol.TCP -> {
                final TcpView t = new TcpView().wrap(f, ip.upperOffset(), ip.upperLength()).check();
                touch(t.srcPort(), t.dstPort(), t.seqNumber(), t.ackNumber(), t.flags(), t.window(), t.checksum(),
                        t.urgentPointer(), t.segmentLength(), t.payload().byteSize());
                t.readOptions(new TcpOptions());
                TcpRepr.parse(t, ip, true);
            }
            case IpProtocol.UDP -> {
                final UdpView u = new UdpView().wrap(f, ip.upperOffset(), ip.upperLength()).check();
                touch(u.srcPort(), u.dstPort(), u.checksum(), u.payload().byteSize());
                UdpRepr.parse(u, ip, true);
            }
            case IpProtocol.ICMP -> {
                final Icmpv4View i = new Icmpv4View().wrap(f, ip.upperOffset(), ip.upperLength()).check();
                touch(i.type(), i.code(), i.identifier(), i.sequence(), i.nextHopMtu(), i.data().byteSize());
                Icmpv4Repr.parse(i);
            }
            case IpProtocol.ICMPV6 -> {
                final Icmpv6View i = new Icmpv6View().wrap(f, ip.upperOffset(), ip.upperLength()).check();
                touch(i.type(), i.code(), i.identifier(), i.mtu(), i.pointer(), i.data().byteSize());
                switch (i.type()) {
                    case Icmpv6View.TYPE_ROUTER_ADVERTISEMENT -> touch(i.raHopLimit(), i.raFlags(),
                            i.raRouterLifetimeSeconds(), i.raReachableTimeMs(), i.raRetransTimerMs());
                    case Icmpv6View.TYPE_NEIGHBOR_SOLICITATION, Icmpv6View.TYPE_NEIGHBOR_ADVERTISEMENT ->
                            touch(i.target().lo(), i.naFlags());
                    case Icmpv6View.TYPE_REDIRECT -> touch(i.target().lo(), i.redirectDestination().hi());
                    default -> {
                    }
                }
                Icmpv6Repr.parse(i, (Ipv6View) ip, true);
            }
            default -> {
            }
        }
    }

    /** The [offset, length] of the checksummed bytes of a valid frame's innermost checksummed layer, or null. */
    static long[] checksummedRange(final MemorySegment f) {
        try {
            final EthernetView eth = new EthernetView().wrap(f).check();
            final IpView ip = switch (eth.etherType()) {
                case EtherType.IPV4 -> new Ipv4View().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
                case EtherType.IPV6 -> new Ipv6View().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
                default -> null;
            };
            if (ip == null) {
                return null;
            }
            if (ip instanceof Ipv6View v6 && v6.isFragment()) {
                return null; // the transport checksum covers the reassembled datagram
            }
            return new long[] {ip.upperOffset(), ip.upperLength()};
        } catch (final WireFormatException e) {
            throw new AssertionError("fixture must be valid", e);
        }
    }

    private static void touch(final long... values) {
        // Values only need to be read; the accessors themselves are what is under test.
    }
}
