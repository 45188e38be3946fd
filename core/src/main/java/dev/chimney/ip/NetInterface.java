package dev.chimney.ip;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One IP interface at run time: the {@link InterfaceConfig} plus what the stack derives from it (the IPv6
 * link-local address, solicited-node groups) and the questions the receive path asks per packet ("is this
 * destination ours?"), answered without allocating. Owned by one event loop.
 */
public final class NetInterface {
    private final InterfaceConfig config;
    private final int index;
    private final Ipv6Address linkLocal;
    private final List<IpCidr> ipv4 = new ArrayList<>();
    private final List<IpCidr> ipv6 = new ArrayList<>();
    // Flat copies of the address bits so per-packet checks iterate primitive arrays.
    private int[] ipv4Bits = new int[0];
    private int[] ipv4Broadcast = new int[0];
    private long[] ipv6Hi = new long[0];
    private long[] ipv6Lo = new long[0];

    public NetInterface(int index, InterfaceConfig config) {
        this.index = index;
        this.config = config;
        this.linkLocal = Ipv6Address.linkLocal(config.mac());
        ipv4.addAll(config.ipv4());
        // RFC 4862 §5.3: every IPv6-capable interface has a link-local address; we form it from the MAC.
        ipv6.add(new IpCidr(linkLocal, 64));
        for (IpCidr c : config.ipv6()) {
            if (!c.address().equals(linkLocal)) {
                ipv6.add(c);
            }
        }
        rebuild();
    }

    public InterfaceConfig config() {
        return config;
    }

    public int index() {
        return index;
    }

    public String name() {
        return config.name();
    }

    public MacAddress mac() {
        return config.mac();
    }

    public int mtuBytes() {
        return config.mtuBytes();
    }

    public int vlanId() {
        return config.vlanId();
    }

    public int vlanPriority() {
        return config.vlanPriority();
    }

    /** True when frames leave with an 802.1Q tag (a VLAN id, or a non-zero priority: spec §6.12 table). */
    public boolean tagsFrames() {
        return config.vlanId() != 0 || config.vlanPriority() != 0;
    }

    public Ipv6Address linkLocal() {
        return linkLocal;
    }

    /** IPv4 addresses with their prefix lengths (read-only view). */
    public List<IpCidr> ipv4() {
        return List.copyOf(ipv4);
    }

    /** IPv6 addresses including the link-local one first (read-only view). */
    public List<IpCidr> ipv6() {
        return List.copyOf(ipv6);
    }

    /** Adds an address at run time (e.g. from router advertisement prefix information, RFC 4862 §5.5.3). */
    public boolean addAddress(IpCidr cidr) {
        List<IpCidr> list = cidr.isIpv4() ? ipv4 : ipv6;
        for (IpCidr c : list) {
            if (c.address().equals(cidr.address())) {
                return false;
            }
        }
        list.add(cidr);
        rebuild();
        return true;
    }

    private void rebuild() {
        ipv4Bits = new int[ipv4.size()];
        ipv4Broadcast = new int[ipv4.size()];
        for (int i = 0; i < ipv4.size(); i++) {
            IpCidr c = ipv4.get(i);
            ipv4Bits[i] = ((Ipv4Address) c.address()).bits();
            // A /31 or /32 has no directed broadcast (RFC 3021); all-ones then still means "limited broadcast".
            ipv4Broadcast[i] = c.prefixLength() >= 31 ? -1 : c.broadcast().bits();
        }
        ipv6Hi = new long[ipv6.size()];
        ipv6Lo = new long[ipv6.size()];
        for (int i = 0; i < ipv6.size(); i++) {
            Ipv6Address a = (Ipv6Address) ipv6.get(i).address();
            ipv6Hi[i] = a.hi();
            ipv6Lo[i] = a.lo();
        }
    }

    /** True when {@code bits} is one of our IPv4 unicast addresses. */
    public boolean isOwnIpv4(int bits) {
        for (int b : ipv4Bits) {
            if (b == bits) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when an IPv4 packet to {@code bits} is for this host: one of our addresses, the limited broadcast
     * 255.255.255.255, a directed broadcast of one of our prefixes, or all-hosts 224.0.0.1 (RFC 1112 §4; RFC 1122
     * §3.3.6).
     */
    public boolean acceptsIpv4(int bits) {
        if (bits == -1 || bits == 0xE000_0001) {
            return true;
        }
        for (int i = 0; i < ipv4Bits.length; i++) {
            if (ipv4Bits[i] == bits || ipv4Broadcast[i] == bits) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code hi:lo} is one of our IPv6 unicast addresses (link-local included). */
    public boolean isOwnIpv6(long hi, long lo) {
        for (int i = 0; i < ipv6Hi.length; i++) {
            if (ipv6Hi[i] == hi && ipv6Lo[i] == lo) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when an IPv6 packet to {@code hi:lo} is for this host: one of our addresses, all-nodes ff02::1, or the
     * solicited-node group of one of our addresses (RFC 4291 §2.8 lists the groups a node must join).
     */
    public boolean acceptsIpv6(long hi, long lo) {
        if (hi == 0xFF02_0000_0000_0000L) {
            if (lo == 1L) {
                return true;
            }
            if ((lo & 0xFFFF_FFFF_FF00_0000L) == 0x0000_0001_FF00_0000L) {
                long low24 = lo & 0xFF_FFFFL;
                for (long ownLo : ipv6Lo) {
                    if ((ownLo & 0xFF_FFFFL) == low24) {
                        return true;
                    }
                }
            }
            return false;
        }
        return isOwnIpv6(hi, lo);
    }

    /**
     * True when a frame sent to {@code dstMacBits} is for this interface: our MAC, broadcast, the IPv6 multicast
     * MACs of the groups we joined (33:33:00:00:00:01 and 33:33:ff:xx:xx:xx, RFC 2464 §7) or the IPv4 all-hosts
     * MAC 01:00:5e:00:00:01 (RFC 1112 §6.4).
     */
    public boolean acceptsMac(long dstMacBits) {
        if (dstMacBits == config.mac().bits() || dstMacBits == 0xFFFF_FFFF_FFFFL) {
            return true;
        }
        if ((dstMacBits >>> 32) == 0x3333L) {
            long group = dstMacBits & 0xFFFF_FFFFL;
            if (group == 1L) {
                return true;
            }
            if ((group >>> 24) == 0xFF) {
                long low24 = group & 0xFF_FFFFL;
                for (long ownLo : ipv6Lo) {
                    if ((ownLo & 0xFF_FFFFL) == low24) {
                        return true;
                    }
                }
            }
            return false;
        }
        return dstMacBits == 0x0100_5E00_0001L;
    }

    /**
     * The IPv4 source address for packets to {@code dst}: the address whose prefix contains it, else the first
     * address; null when the interface has no IPv4 address.
     */
    public Ipv4Address ipv4SourceFor(IpAddress dst) {
        if (ipv4.isEmpty()) {
            return null;
        }
        for (int i = 0; i < ipv4.size(); i++) { // indexed: no iterator on the per-packet path
            IpCidr c = ipv4.get(i);
            if (c.contains(dst)) {
                return (Ipv4Address) c.address();
            }
        }
        return (Ipv4Address) ipv4.getFirst().address();
    }

    /**
     * The IPv6 source address for packets to {@code dst}, a reduced RFC 6724 §5: the link-local address for
     * link-local or link-scope multicast destinations (rule 2, matching scope); otherwise the non-link-local address
     * sharing the longest prefix with the destination (rule 8), falling back to the link-local one.
     */
    public Ipv6Address ipv6SourceFor(IpAddress dst) {
        if (!(dst instanceof Ipv6Address d)) {
            return null;
        }
        boolean linkScope = d.isLinkLocal() || (d.isMulticast() && ((d.hi() >>> 48) & 0xF) <= 2);
        if (linkScope) {
            return linkLocal;
        }
        Ipv6Address best = null;
        int bestCommon = -1;
        for (int i = 0; i < ipv6.size(); i++) { // indexed: no iterator on the per-packet path
            Ipv6Address a = (Ipv6Address) ipv6.get(i).address();
            if (a.isLinkLocal()) {
                continue;
            }
            int common = a.hi() != d.hi() ? Long.numberOfLeadingZeros(a.hi() ^ d.hi())
                    : 64 + Long.numberOfLeadingZeros(a.lo() ^ d.lo());
            if (common > bestCommon) {
                best = a;
                bestCommon = common;
            }
        }
        return best != null ? best : linkLocal;
    }

    @Override
    public String toString() {
        return config.name() + "(" + config.mac() + ", mtu " + config.mtuBytes() + ", " + ipv4 + ", " + ipv6 + ")";
    }
}
