package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Longest-prefix match (RFC 1812 §5.2.4.3; RFC 4861 §5.2) against a brute-force model. */
class RouteTableTest {
    private static final MacAddress MAC = MacAddress.parse("02:00:00:00:00:01");

    private static NetInterface eth0() {
        return new NetInterface(0, InterfaceConfig.of("eth0", MAC).withIpv4("10.0.0.2/24").withIpv6("fd00::2/64"));
    }

    @Test
    void connectedRoutesAndDefaultGateway() {
        NetInterface eth0 = eth0();
        RouteTable t = new RouteTable();
        t.addConnected(eth0);
        t.addDefaultGateway(IpAddress.parse("10.0.0.1"));
        t.addDefaultGateway(IpAddress.parse("fd00::1"));

        Route onLink = t.lookup(IpAddress.parse("10.0.0.77"));
        assertEquals(Route.Origin.CONNECTED, onLink.origin());
        assertEquals(IpAddress.parse("10.0.0.77"), onLink.nextHop(IpAddress.parse("10.0.0.77")));
        assertEquals(IpAddress.parse("10.0.0.2"), onLink.sourceFor(IpAddress.parse("10.0.0.77")));

        Route viaGw = t.lookup(IpAddress.parse("8.8.8.8"));
        assertEquals(IpAddress.parse("10.0.0.1"), viaGw.nextHop(IpAddress.parse("8.8.8.8")));
        assertEquals(IpAddress.parse("10.0.0.2"), viaGw.sourceFor(IpAddress.parse("8.8.8.8")));
        assertEquals(1500, viaGw.effectiveMtuBytes());

        Route v6 = t.lookup(IpAddress.parse("2001:db8::5"));
        assertEquals(IpAddress.parse("fd00::1"), v6.nextHop(IpAddress.parse("2001:db8::5")));
        assertEquals(IpAddress.parse("fd00::2"), v6.sourceFor(IpAddress.parse("2001:db8::5")));

        // fe80::/64 is on-link on every IPv6 interface (RFC 4291 §2.5.6); its source is the link-local address.
        Route ll = t.lookup(IpAddress.parse("fe80::99"));
        assertEquals(Route.Origin.CONNECTED, ll.origin());
        assertEquals(Ipv6Address.linkLocal(MAC), ll.sourceFor(IpAddress.parse("fe80::99")));
    }

    @Test
    void longerPrefixWinsThenLowerMetric() {
        NetInterface eth0 = eth0();
        RouteTable t = new RouteTable();
        t.addConnected(eth0);
        Route wide = t.add(new Route(IpCidr.parse("172.16.0.0/12"), IpAddress.parse("10.0.0.1"), eth0, 5, 0, null,
                Route.Origin.STATIC));
        Route narrowSlow = t.add(new Route(IpCidr.parse("172.16.5.0/24"), IpAddress.parse("10.0.0.3"), eth0, 9, 0,
                null, Route.Origin.STATIC));
        Route narrowFast = t.add(new Route(IpCidr.parse("172.16.5.0/24"), IpAddress.parse("10.0.0.4"), eth0, 1, 1400,
                null, Route.Origin.STATIC));
        assertSame(narrowFast, t.lookup(IpAddress.parse("172.16.5.9")));
        assertEquals(1400, t.lookup(IpAddress.parse("172.16.5.9")).effectiveMtuBytes());
        assertSame(wide, t.lookup(IpAddress.parse("172.17.0.1")));
        assertNull(t.lookup(IpAddress.parse("192.168.0.1")), "no default route: unreachable");
        t.remove(IpCidr.parse("172.16.5.0/24"), IpAddress.parse("10.0.0.4"));
        assertSame(narrowSlow, t.lookup(IpAddress.parse("172.16.5.9")));
    }

    @Test
    void gatewayOffLinkIsRefusedWithAHint() {
        RouteTable t = new RouteTable();
        t.addConnected(eth0());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.addDefaultGateway(IpAddress.parse("192.168.9.1")));
        assertEquals(true, e.getMessage().contains("connected prefixes"), e.getMessage());
    }

    /** Brute force: the matching route with the longest prefix, then lowest metric, then first added. */
    private static Route model(List<Route> routes, IpAddress dst) {
        Route best = null;
        for (Route r : routes) {
            if (!r.destination().contains(dst)) {
                continue;
            }
            if (best == null || r.destination().prefixLength() > best.destination().prefixLength()
                    || r.destination().prefixLength() == best.destination().prefixLength()
                    && r.metric() < best.metric()) {
                best = r;
            }
        }
        return best;
    }

    @Property(tries = 200)
    void ipv4LookupMatchesBruteForce(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 32) Integer> lengths,
            @ForAll @Size(min = 40, max = 40) List<Integer> bases,
            @ForAll @Size(min = 40, max = 40) List<Integer> metrics,
            @ForAll @Size(min = 1, max = 30) List<Integer> probes) {
        NetInterface eth0 = eth0();
        RouteTable t = new RouteTable();
        List<Route> added = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            // Keep bases in a narrow space (top byte from a few values) so prefixes nest and overlap often.
            int base = (bases.get(i) & 0x0303_FFFF) | 0x0A00_0000;
            Route r = new Route(new IpCidr(new Ipv4Address(base), lengths.get(i)), IpAddress.parse("10.0.0.1"),
                    eth0, Math.floorMod(metrics.get(i), 4), 0, null, Route.Origin.STATIC);
            added.removeIf(x -> x.destination().equals(r.destination()));
            added.add(r);
            t.add(r);
        }
        for (int p : probes) {
            IpAddress dst = new Ipv4Address((p & 0x0303_FFFF) | 0x0A00_0000);
            Route expected = model(added, dst);
            Route actual = t.lookup(dst);
            assertEquals(expected == null ? null : expected.destination(),
                    actual == null ? null : actual.destination(), "dst " + dst);
            if (expected != null) {
                assertEquals(expected.metric(), actual.metric(), "dst " + dst);
            }
        }
    }

    @Property(tries = 200)
    void ipv6LookupMatchesBruteForce(@ForAll @Size(max = 30) List<@IntRange(min = 0, max = 128) Integer> lengths,
            @ForAll @Size(min = 30, max = 30) List<Long> his, @ForAll @Size(min = 30, max = 30) List<Long> los,
            @ForAll @Size(min = 1, max = 30) List<Long> probes) {
        NetInterface eth0 = eth0();
        RouteTable t = new RouteTable();
        List<Route> added = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            long hi = 0xFD00_0000_0000_0000L | (his.get(i) & 0x0000_0000_0000_0F0FL);
            long lo = los.get(i) & 0x0F0F_0000_0000_000FL;
            Route r = new Route(new IpCidr(new Ipv6Address(hi, lo), lengths.get(i)), IpAddress.parse("fd00::1"),
                    eth0, 0, 0, null, Route.Origin.STATIC);
            added.removeIf(x -> x.destination().equals(r.destination()));
            added.add(r);
            t.add(r);
        }
        for (long p : probes) {
            IpAddress dst = new Ipv6Address(0xFD00_0000_0000_0000L | (p & 0x0F0FL),
                    Long.rotateLeft(p, 17) & 0x0F0F_0000_0000_000FL);
            Route expected = model(added, dst);
            Route actual = t.lookup(dst);
            assertEquals(expected == null ? null : expected.destination(),
                    actual == null ? null : actual.destination(), "dst " + dst);
        }
    }
}
