package dev.chimney.chimney.team;

import dev.chimney.link.FrameSink;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.wire.ArpRepr;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetRepr;
import dev.chimney.wire.Icmpv6Repr;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6Repr;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.NdpOptions;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The host's one port of a {@link TeamTarget} (active-backup bonding): frames go out through the active member's
 * host port; frames come up from it, and from the member that was active before a switch for a grace period (what it
 * passed up while its connections were being terminated); the standby's frames are otherwise dropped (counted), as a
 * bond drops what arrives on its backup link (a switch floods broadcasts and unknown unicasts to both ports).
 *
 * <p>The host's addresses are learned from its outgoing frames that carry the team's MAC as source, for the
 * announcements after a switch; a new address is recorded only when it differs from the last one seen, so the data
 * path does not allocate.
 */
final class TeamPort implements NetworkPort {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Most addresses remembered for announcements. */
    private static final int MAX_ADDRESSES = 64;

    private final TeamTarget team;
    private final EventLoop loop;
    private final String name;
    private final MacAddress mac;
    private final TeamTarget.Member[] members;
    private final long graceNs;
    private final LinkedHashSet<IpAddress> addresses = new LinkedHashSet<>();
    private final LinkOffloads offloads;
    private int active;
    private int previous = -1;
    private long previousUntilNs;
    /** The port delivering the frame now (its receive metadata is what the host reads). */
    private NetworkPort delivering;
    private FrameSink sink;
    private long dropped;
    private final FrameSink counting = f -> dropped++;
    private final FrameSink forwarding = f -> sink.onFrame(f);
    private int lastV4;
    private long lastV6Hi;
    private long lastV6Lo;

    TeamPort(TeamTarget team, EventLoop loop, String name, MacAddress mac, TeamTarget.Member[] members,
            List<IpAddress> announce, long graceNs) {
        this.team = team;
        this.loop = loop;
        this.name = name;
        this.mac = mac;
        this.members = members;
        this.graceNs = graceNs;
        addresses.addAll(announce);
        LinkOffloads a = members[0].hostPort().offloads();
        LinkOffloads b = members[1].hostPort().offloads();
        // the host sees one port: it may use what every member offers
        this.offloads = new LinkOffloads(a.tso() && b.tso() ? Math.min(a.tsoMaxBytes(), b.tsoMaxBytes()) : 0,
                a.txChecksum() && b.txChecksum(), a.rxChecksum() && b.rxChecksum());
        this.delivering = members[0].hostPort();
    }

    void switchTo(int index, long nowNs) {
        previous = active;
        previousUntilNs = nowNs + graceNs;
        active = index;
    }

    List<IpAddress> addresses() {
        return List.copyOf(addresses);
    }

    long dropped() {
        return dropped;
    }

    // ---------------------------------------------------------------------------------------------- NetworkPort

    @Override
    public String name() {
        return name;
    }

    @Override
    public int mtu() {
        return Math.min(members[0].hostPort().mtu(), members[1].hostPort().mtu());
    }

    @Override
    public boolean transmit(MemorySegment frame) {
        learn(frame);
        return members[active].hostPort().transmit(frame);
    }

    @Override
    public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
            int segmentPayloadBytes) {
        learn(frame);
        return members[active].hostPort().transmitSegmented(frame, ipv6, tcpOffset, headerBytes,
                segmentPayloadBytes);
    }

    @Override
    public int receive(FrameSink s, int budget) {
        this.sink = s;
        NetworkPort a = members[active].hostPort();
        delivering = a;
        int n = a.receive(forwarding, budget);
        for (int i = 0; i < members.length; i++) {
            if (i == active) {
                continue;
            }
            NetworkPort p = members[i].hostPort();
            delivering = p;
            boolean grace = i == previous && loop.nowNs() <= previousUntilNs;
            n += p.receive(grace ? forwarding : counting, Math.max(1, budget - n));
        }
        delivering = a;
        return n;
    }

    @Override
    public long nextArrivalNs() {
        long t = Long.MAX_VALUE;
        for (TeamTarget.Member m : members) {
            t = Math.min(t, m.hostPort().nextArrivalNs());
        }
        return t;
    }

    @Override
    public LinkOffloads offloads() {
        return offloads;
    }

    @Override
    public int rxChecksumState() {
        return delivering.rxChecksumState();
    }

    @Override
    public int rxSegmentBytes() {
        return delivering.rxSegmentBytes();
    }

    @Override
    public void close() {
        for (TeamTarget.Member m : members) {
            m.hostPort().close();
        }
    }

    @Override
    public String toString() {
        return "TeamPort[" + name + " active=" + active + " dropped=" + dropped + " " + team.phase() + "]";
    }

    // ------------------------------------------------------------------------------------------- announcements

    /** Records the source address of an ARP, IPv4 or IPv6 frame the host sends with the team's MAC. */
    private void learn(MemorySegment f) {
        if (f.byteSize() < 14 || f.get(U16, 6) != (short) (mac.bits() >>> 32)
                || f.get(U32, 8) != (int) mac.bits()) {
            return;
        }
        int l3 = 14;
        int type = Short.toUnsignedInt(f.get(U16, 12));
        if (type == EtherType.VLAN && f.byteSize() >= 18) {
            type = Short.toUnsignedInt(f.get(U16, 16));
            l3 = 18;
        }
        if (type == EtherType.ARP && f.byteSize() >= l3 + 28) {
            learnV4(f.get(U32, l3 + 14));
        } else if (type == EtherType.IPV4 && f.byteSize() >= l3 + 20) {
            learnV4(f.get(U32, l3 + 12));
        } else if (type == EtherType.IPV6 && f.byteSize() >= l3 + 40) {
            long hi = f.get(U64, l3 + 8);
            long lo = f.get(U64, l3 + 16);
            if ((hi != lastV6Hi || lo != lastV6Lo) && (hi != 0 || lo != 0)) {
                lastV6Hi = hi;
                lastV6Lo = lo;
                remember(new Ipv6Address(hi, lo));
            }
        }
    }

    private void learnV4(int bits) {
        if (bits != lastV4 && bits != 0) {
            lastV4 = bits;
            remember(new Ipv4Address(bits));
        }
    }

    private void remember(IpAddress a) {
        if (addresses.size() < MAX_ADDRESSES) {
            addresses.add(a);
        }
    }

    /**
     * Announces the host's addresses on the active link: a gratuitous ARP request per IPv4 address (RFC 5227 §3:
     * sender and target IP both the address, target MAC zero, broadcast) and an unsolicited Neighbor Advertisement
     * with the override flag to all-nodes per IPv6 address (RFC 4861 §7.2.6), each from the team's MAC, so a switch
     * moves the MAC to this port and neighbors refresh their caches. Returns how many frames went out.
     */
    int announce() {
        NetworkPort out = members[active].hostPort();
        int sent = 0;
        for (IpAddress a : new ArrayList<>(addresses)) {
            MemorySegment frame;
            if (a instanceof Ipv4Address v4) {
                EthernetRepr eth = new EthernetRepr(mac, MacAddress.BROADCAST, EtherType.ARP, null);
                ArpRepr arp = new ArpRepr(ArpRepr.Operation.REQUEST, mac, v4, MacAddress.ZERO, v4); // RFC 5227 §3
                frame = MemorySegment.ofArray(new byte[eth.bufferLen() + arp.bufferLen()]);
                eth.emit(frame, 0);
                arp.emit(frame, eth.bufferLen());
            } else {
                Ipv6Address v6 = (Ipv6Address) a;
                EthernetRepr eth = new EthernetRepr(mac, MacAddress.ipv6Multicast(Ipv6Address.ALL_NODES),
                        EtherType.IPV6, null);
                Icmpv6Repr na = new Icmpv6Repr.NeighborAdvertisement(false, false, true, v6,
                        new NdpOptions(null, mac, List.of(), NdpOptions.NONE, null));
                Ipv6Repr ip = Ipv6Repr.of(v6, Ipv6Address.ALL_NODES, IpProtocol.ICMPV6, na.bufferLen(), 255);
                frame = MemorySegment.ofArray(new byte[eth.bufferLen() + ip.bufferLen() + na.bufferLen()]);
                eth.emit(frame, 0);
                ip.emit(frame, eth.bufferLen());
                na.emit(frame, eth.bufferLen() + ip.bufferLen(), v6, Ipv6Address.ALL_NODES);
            }
            if (out.transmit(frame)) {
                sent++;
            }
        }
        return sent;
    }
}
