package dev.chimney.ip;

import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.Icmpv6View;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.NdpOptions;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Neighbor Discovery for IPv6 (RFC 4861) on behalf of an {@link IpStack}: validates and applies received
 * solicitations, advertisements, router advertisements and redirects, and builds the NS, NA and MLDv2 messages the
 * stack sends. Owned by the stack's loop; shares the stack's control transmit buffer.
 */
final class NeighborDiscovery {
    static final int ND_ROUTER_SOLICIT = Icmpv6View.TYPE_ROUTER_SOLICITATION;
    static final int ND_ROUTER_ADVERT = Icmpv6View.TYPE_ROUTER_ADVERTISEMENT;
    static final int ND_NEIGHBOR_SOLICIT = Icmpv6View.TYPE_NEIGHBOR_SOLICITATION;
    static final int ND_NEIGHBOR_ADVERT = Icmpv6View.TYPE_NEIGHBOR_ADVERTISEMENT;
    static final int ND_REDIRECT = Icmpv6View.TYPE_REDIRECT;
    /** NDP option types (RFC 4861 §4.6). */
    static final int OPT_SOURCE_LLADDR = NdpOptions.TYPE_SOURCE_LINK_LAYER;
    static final int OPT_TARGET_LLADDR = NdpOptions.TYPE_TARGET_LINK_LAYER;
    static final int OPT_PREFIX_INFO = NdpOptions.TYPE_PREFIX_INFORMATION;
    static final int OPT_MTU = NdpOptions.TYPE_MTU;
    /** Neighbor advertisement flags (RFC 4861 §4.4), in the message's first 32-bit word. */
    static final int NA_FLAG_ROUTER = 0x8000_0000;
    static final int NA_FLAG_SOLICITED = 0x4000_0000;
    static final int NA_FLAG_OVERRIDE = 0x2000_0000;
    /** MLDv2 listener report (RFC 3810 §5.2) and its "change to exclude mode" record type (a join). */
    static final int MLDV2_REPORT = 143;
    static final int MLDV2_CHANGE_TO_EXCLUDE = 4;
    /** ff02::16, all MLDv2-capable routers. */
    static final Ipv6Address MLDV2_ROUTERS = new Ipv6Address(0xFF02_0000_0000_0000L, 0x16L);

    private final IpStack stack;
    private final Ipv6View txV6 = new Ipv6View();

    NeighborDiscovery(IpStack stack) {
        this.stack = stack;
    }

    /** Handles one NDP message (types 133-137) whose ICMPv6 checksum the stack already verified. */
    void receive(IpStack.Link link, IpPacketInfo info, MemorySegment msg, int type, int code) {
        stack.counters().increment(IpCounter.NDP_RECEIVED);
        int len = (int) msg.byteSize();
        // RFC 4861 §6.1, §7.1, §8.1: hop limit 255 proves the sender is on-link; code must be 0.
        if (info.hopLimit != 255 || code != 0) {
            stack.counters().increment(IpCounter.NDP_DROP_INVALID);
            return;
        }
        boolean srcUnspecified = info.srcHi == 0 && info.srcLo == 0;
        switch (type) {
            case ND_NEIGHBOR_SOLICIT -> {
                if (len < 24 || (Bytes.u8(msg, 8) == 0xFF) || !optionsValid(msg, 24)) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID);
                    return;
                }
                long tHi = Bytes.u64(msg, 8);
                long tLo = Bytes.u64(msg, 16);
                long slla = findLinkAddressOption(msg, 24, OPT_SOURCE_LLADDR);
                if (srcUnspecified && (slla >= 0 || !isSolicitedNode(info.dstHi, info.dstLo))) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID); // §7.1.1: DAD solicitations are special
                    return;
                }
                if (!link.iface.isOwnIpv6(tHi, tLo)) {
                    return; // not our target
                }
                if (!srcUnspecified && slla >= 0) {
                    link.ndp.onLinkAddressHint(new Ipv6Address(info.srcHi, info.srcLo), new MacAddress(slla), true,
                            stack.nowNs);
                }
                sendNeighborAdvert(link, tHi, tLo, srcUnspecified ? Ipv6Address.ALL_NODES
                        : new Ipv6Address(info.srcHi, info.srcLo), !srcUnspecified, slla);
            }
            case ND_NEIGHBOR_ADVERT -> {
                if (len < 24 || Bytes.u8(msg, 8) == 0xFF || !optionsValid(msg, 24)) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID);
                    return;
                }
                int flags = Bytes.u32(msg, 4);
                boolean solicited = (flags & NA_FLAG_SOLICITED) != 0;
                if (solicited && info.dstMulticast) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID); // §7.1.2
                    return;
                }
                long tlla = findLinkAddressOption(msg, 24, OPT_TARGET_LLADDR);
                Ipv6Address target = new Ipv6Address(Bytes.u64(msg, 8), Bytes.u64(msg, 16));
                link.ndp.onAdvertisement(target, tlla >= 0 ? new MacAddress(tlla) : null, solicited,
                        (flags & NA_FLAG_OVERRIDE) != 0, stack.nowNs);
            }
            case ND_ROUTER_ADVERT -> {
                if (len < 16 || !optionsValid(msg, 16) || (info.srcHi >>> 54) != (0xFE80L >>> 6)) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID); // §6.1.2: from a link-local source
                    return;
                }
                receiveRouterAdvert(link, info, msg);
            }
            case ND_REDIRECT -> {
                if (len < 40 || !optionsValid(msg, 40) || (info.srcHi >>> 54) != (0xFE80L >>> 6)) {
                    stack.counters().increment(IpCounter.NDP_DROP_INVALID); // §8.1
                    return;
                }
                Ipv6Address target = new Ipv6Address(Bytes.u64(msg, 8), Bytes.u64(msg, 16));
                Ipv6Address dst = new Ipv6Address(Bytes.u64(msg, 24), Bytes.u64(msg, 32));
                // §8.1: a redirect not from our current first hop for that destination is invalid as a whole, so
                // its target link-layer option is learned only after the route check passed.
                if (stack.applyRedirect(link, new Ipv6Address(info.srcHi, info.srcLo), dst, target, 128)) {
                    long tlla = findLinkAddressOption(msg, 40, OPT_TARGET_LLADDR);
                    if (tlla >= 0) {
                        link.ndp.onLinkAddressHint(target, new MacAddress(tlla), true, stack.nowNs);
                    }
                }
            }
            default -> {
                // Router solicitations: hosts ignore them (RFC 4861 §6.2.6), but the source link-layer option
                // still teaches the neighbor's address (§6.2.6 last paragraph applies to routers; we only learn).
                if (len >= 8 && optionsValid(msg, 8) && !srcUnspecified) {
                    long slla = findLinkAddressOption(msg, 8, OPT_SOURCE_LLADDR);
                    if (slla >= 0) {
                        link.ndp.onLinkAddressHint(new Ipv6Address(info.srcHi, info.srcLo), new MacAddress(slla),
                                false, stack.nowNs);
                    }
                }
            }
        }
    }

    private void receiveRouterAdvert(IpStack.Link link, IpPacketInfo info, MemorySegment msg) {
        Ipv6Address router = new Ipv6Address(info.srcHi, info.srcLo);
        long slla = findLinkAddressOption(msg, 16, OPT_SOURCE_LLADDR);
        if (slla >= 0) {
            // RFC 4861 §6.3.4: record the router's link-layer address, creating the entry if needed.
            link.ndp.onLinkAddressHint(router, new MacAddress(slla), true, stack.nowNs);
        }
        int lifetimeS = Bytes.u16(msg, 6);
        long reachableMs = Bytes.u32(msg, 8) & 0xFFFF_FFFFL;
        if (reachableMs != 0) {
            long base = reachableMs * 1_000_000L;
            if (base != link.baseReachableNs) { // §6.3.4: re-randomize only when the base changes
                link.baseReachableNs = base;
                link.ndp.recomputeReachableTime(base);
            }
        }
        boolean applied = false;
        IpCidr anyV6 = new IpCidr(Ipv6Address.UNSPECIFIED, 0);
        if (lifetimeS > 0) {
            stack.routes().add(new Route(anyV6, router, link.iface, 1024, 0, null, Route.Origin.ROUTER_ADVERTISEMENT));
            applied = true;
        } else {
            stack.routes().remove(anyV6, router);
        }
        for (int o = 16; o + 2 <= msg.byteSize(); ) {
            int t = Bytes.u8(msg, o);
            int olen = Bytes.u8(msg, o + 1) * 8;
            if (t == OPT_PREFIX_INFO && olen == 32 && o + 32 <= msg.byteSize()) {
                int prefixLength = Bytes.u8(msg, o + 2);
                int flags = Bytes.u8(msg, o + 3);
                long validS = Bytes.u32(msg, o + 4) & 0xFFFF_FFFFL;
                Ipv6Address prefix = new Ipv6Address(Bytes.u64(msg, o + 16), Bytes.u64(msg, o + 24));
                if (prefixLength <= 128 && !prefix.isLinkLocal() && validS > 0) {
                    IpCidr p = new IpCidr(prefix, prefixLength);
                    if ((flags & 0x80) != 0) { // L: on-link (§6.3.4)
                        stack.routes().add(new Route(p, null, link.iface, 256, 0, null,
                                Route.Origin.ROUTER_ADVERTISEMENT));
                        applied = true;
                    }
                    if ((flags & 0x40) != 0 && prefixLength == 64) { // A: SLAAC with the EUI-64 IID (RFC 4862 §5.5.3)
                        Ipv6Address addr = new Ipv6Address(p.canonical().address() instanceof Ipv6Address a ? a.hi()
                                : 0, link.iface.linkLocal().lo());
                        if (link.iface.addAddress(new IpCidr(addr, 64))) {
                            applied = true;
                        }
                    }
                }
            } else if (t == OPT_MTU && olen == 8 && o + 8 <= msg.byteSize()) {
                long mtu = Bytes.u32(msg, o + 4) & 0xFFFF_FFFFL;
                if (lifetimeS > 0 && mtu >= PathCache.MIN_IPV6_PMTU && mtu < link.iface.mtuBytes()) {
                    stack.routes().add(new Route(anyV6, router, link.iface, 1024, (int) mtu, null,
                            Route.Origin.ROUTER_ADVERTISEMENT));
                }
            }
            o += Math.max(olen, 8);
        }
        if (applied) {
            stack.counters().increment(IpCounter.ROUTER_ADVERTISEMENTS_APPLIED);
        }
    }

    /** RFC 4861 §4.6: every option has a non-zero length and fits in the message. */
    private static boolean optionsValid(MemorySegment msg, int from) {
        long len = msg.byteSize();
        long o = from;
        while (o < len) {
            if (o + 2 > len) {
                return false;
            }
            int olen = Bytes.u8(msg, o + 1) * 8;
            if (olen == 0 || o + olen > len) {
                return false;
            }
            o += olen;
        }
        return true;
    }

    /** The first link-layer address option of {@code type} (Ethernet: length 1), as 48 bits, or -1. */
    private static long findLinkAddressOption(MemorySegment msg, int from, int type) {
        long len = msg.byteSize();
        for (long o = from; o + 8 <= len; ) {
            int t = Bytes.u8(msg, o);
            int olen = Bytes.u8(msg, o + 1) * 8;
            if (olen == 0) {
                return -1;
            }
            if (t == type && olen == 8) {
                return Bytes.macBits(msg, o + 2);
            }
            o += olen;
        }
        return -1;
    }

    private static boolean isSolicitedNode(long hi, long lo) {
        return hi == 0xFF02_0000_0000_0000L && (lo & 0xFFFF_FFFF_FF00_0000L) == 0x0000_0001_FF00_0000L;
    }

    void sendNeighborAdvert(IpStack.Link link, long tHi, long tLo, Ipv6Address dst, boolean solicited,
            long dstMacHint) {
        Ipv6Address src = new Ipv6Address(tHi, tLo);
        int len = 32;
        MemorySegment f = stack.controlBuffer;
        long p = prepareControlV6(link, f, src, dst, len);
        Bytes.u8(f, p, ND_NEIGHBOR_ADVERT);
        Bytes.u8(f, p + 1, 0);
        Bytes.u16(f, p + 2, 0);
        // RFC 4861 §7.2.4: solicited (when answering a unicast-sourced NS) and override (we are not an anycast
        // address), with our link-layer address as the target option.
        Bytes.u32(f, p + 4, (solicited ? NA_FLAG_SOLICITED : 0) | NA_FLAG_OVERRIDE);
        Bytes.u64(f, p + 8, tHi);
        Bytes.u64(f, p + 16, tLo);
        Bytes.u8(f, p + 24, OPT_TARGET_LLADDR);
        Bytes.u8(f, p + 25, 1);
        Bytes.macBits(f, p + 26, link.iface.mac().bits());
        finishIcmpv6(f, p, len, src, dst);
        // The solicitation carried the sender's address; send straight to it (the entry is STALE now anyway).
        long mac = dst.isMulticast() ? MacAddress.ipv6Multicast(dst).bits() : dstMacHint;
        sendControlV6(link, f, p, len, dst, mac);
    }

    void sendNeighborSolicit(IpStack.Link link, NeighborEntry entry, MacAddress unicastTarget) {
        Ipv6Address target = (Ipv6Address) entry.ip();
        // RFC 4861 §7.2.2: multicast to the solicited-node group while resolving; unicast to the cached address when
        // probing (§7.3.3).
        Ipv6Address dst = unicastTarget == null ? target.solicitedNode() : target;
        Ipv6Address src = link.iface.ipv6SourceFor(target);
        int len = 32;
        MemorySegment f = stack.controlBuffer;
        long p = prepareControlV6(link, f, src, dst, len);
        Bytes.u8(f, p, ND_NEIGHBOR_SOLICIT);
        Bytes.u8(f, p + 1, 0);
        Bytes.u16(f, p + 2, 0);
        Bytes.u32(f, p + 4, 0);
        Bytes.u64(f, p + 8, target.hi());
        Bytes.u64(f, p + 16, target.lo());
        Bytes.u8(f, p + 24, OPT_SOURCE_LLADDR);
        Bytes.u8(f, p + 25, 1);
        Bytes.macBits(f, p + 26, link.iface.mac().bits());
        finishIcmpv6(f, p, len, src, dst);
        long mac = unicastTarget == null ? MacAddress.ipv6Multicast(dst).bits() : unicastTarget.bits();
        sendControlV6(link, f, p, len, dst, mac);
    }

    /** Writes Ethernet + IPv6 headers (hop limit 255, as NDP requires) into {@code f}; returns the ICMP offset. */
    private long prepareControlV6(IpStack.Link link, MemorySegment f, Ipv6Address src, Ipv6Address dst, int icmpLen) {
        int l2 = stack.writeEthernet(link.iface, f, 0, EtherType.IPV6);
        txV6.wrap(f, l2, Ipv6View.HEADER_LENGTH + icmpLen).versionTrafficClassFlowLabel(0, 0).payloadLength(icmpLen)
                .nextHeader(IpProtocol.ICMPV6).hopLimit(255).source(src.hi(), src.lo())
                .destination(dst.hi(), dst.lo());
        return l2 + Ipv6View.HEADER_LENGTH;
    }

    private static void finishIcmpv6(MemorySegment f, long p, int len, Ipv6Address src, Ipv6Address dst) {
        int pseudo = Checksum.pseudoHeaderV6(src.hi(), src.lo(), dst.hi(), dst.lo(), IpProtocol.ICMPV6, len);
        Bytes.u16(f, p + 2, Checksum.finish(Checksum.add(Checksum.sum(f, p, len), pseudo)));
    }

    private void sendControlV6(IpStack.Link link, MemorySegment f, long icmpOff, int icmpLen, Ipv6Address dst,
            long mac) {
        int frameLen = (int) (icmpOff + icmpLen);
        if (mac >= 0) {
            Bytes.macBits(f, EthernetView.DST_OFFSET, mac);
            stack.transmit(link, f, frameLen);
        } else {
            long resolved = link.ndp.resolve(dst, f, IpStack.padded(f, frameLen), stack.nowNs);
            if (resolved >= 0) {
                Bytes.macBits(f, EthernetView.DST_OFFSET, resolved);
                stack.transmit(link, f, frameLen);
            }
        }
    }

    void sendMldReport(IpStack.Link link) {
        List<Ipv6Address> groups = new ArrayList<>();
        for (IpCidr c : link.iface.ipv6()) {
            Ipv6Address g = ((Ipv6Address) c.address()).solicitedNode();
            if (!groups.contains(g)) {
                groups.add(g);
            }
        }
        int icmpLen = 8 + 20 * groups.size();
        Ipv6Address src = link.iface.linkLocal();
        Ipv6Address dst = MLDV2_ROUTERS;
        MemorySegment f = stack.controlBuffer;
        int l2 = stack.writeEthernet(link.iface, f, MacAddress.ipv6Multicast(dst).bits(), EtherType.IPV6);
        txV6.wrap(f, l2, Ipv6View.HEADER_LENGTH + 8 + icmpLen).versionTrafficClassFlowLabel(0, 0)
                .payloadLength(8 + icmpLen).nextHeader(IpProtocol.HOP_BY_HOP).hopLimit(1).source(src.hi(), src.lo())
                .destination(dst.hi(), dst.lo());
        long h = l2 + Ipv6View.HEADER_LENGTH;
        Bytes.u8(f, h, IpProtocol.ICMPV6);
        Bytes.u8(f, h + 1, 0); // 8 bytes
        Bytes.u8(f, h + 2, 5); // Router Alert (RFC 2711), value 0 = MLD
        Bytes.u8(f, h + 3, 2);
        Bytes.u16(f, h + 4, 0);
        Bytes.u8(f, h + 6, 1); // PadN filling the header to 8 bytes
        Bytes.u8(f, h + 7, 0);
        long p = h + 8;
        Bytes.u8(f, p, MLDV2_REPORT);
        Bytes.u8(f, p + 1, 0);
        Bytes.u16(f, p + 2, 0);
        Bytes.u16(f, p + 4, 0);
        Bytes.u16(f, p + 6, groups.size());
        long r = p + 8;
        for (Ipv6Address g : groups) {
            Bytes.u8(f, r, MLDV2_CHANGE_TO_EXCLUDE);
            Bytes.u8(f, r + 1, 0);
            Bytes.u16(f, r + 2, 0);
            Bytes.ipv6(f, r + 4, g);
            r += 20;
        }
        finishIcmpv6(f, p, icmpLen, src, dst);
        stack.transmit(link, f, (int) (p + icmpLen));
    }
}
