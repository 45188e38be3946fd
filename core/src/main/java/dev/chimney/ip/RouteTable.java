package dev.chimney.ip;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * IPv4 and IPv6 routes with longest-prefix match (RFC 1812 §5.2.4.3; RFC 4861 §5.2 next-hop determination).
 * Ties between equal prefix lengths go to the lower metric, then to the earlier route. A host has few routes, so
 * each family is an array kept sorted by (prefix length desc, metric asc) and a lookup is a scan that stops at the
 * first match: allocation-free, with no per-packet hashing. Owned by one event loop.
 */
public final class RouteTable {
    private static final Comparator<Route> ORDER =
            Comparator.comparingInt((Route r) -> -r.destination().prefixLength()).thenComparingInt(Route::metric);

    private final List<Route> all = new ArrayList<>();
    private final List<Runnable> listeners = new ArrayList<>();
    private Route[] v4 = new Route[0];
    private Route[] v6 = new Route[0];

    /**
     * Runs {@code onChange} after every change of the table (a route added, replaced or removed; a redirect): the
     * offload manager relinks offloaded paths whose next hop changed (chimney spec §3.3.3). Called on the owning
     * loop, inside the call that changed the table.
     */
    public void addListener(Runnable onChange) {
        listeners.add(java.util.Objects.requireNonNull(onChange, "onChange"));
    }

    /** Adds the on-link routes of every address of {@code iface} (including fe80::/64 for IPv6). */
    public void addConnected(NetInterface iface) {
        for (IpCidr c : iface.ipv4()) {
            addIfAbsent(new Route(c, null, iface, 0, 0, null, Route.Origin.CONNECTED));
        }
        for (IpCidr c : iface.ipv6()) {
            addIfAbsent(new Route(c, null, iface, 0, 0, null, Route.Origin.CONNECTED));
        }
    }

    /** Adds a route; a route with the same destination, gateway and interface is replaced. */
    public Route add(Route route) {
        all.removeIf(r -> sameKey(r, route));
        all.add(route);
        rebuild();
        return route;
    }

    private void addIfAbsent(Route route) {
        for (Route r : all) {
            if (sameKey(r, route)) {
                return;
            }
        }
        all.add(route);
        rebuild();
    }

    private static boolean sameKey(Route a, Route b) {
        return a.destination().equals(b.destination()) && java.util.Objects.equals(a.gateway(), b.gateway())
                && a.iface() == b.iface();
    }

    /**
     * Adds a default route (0.0.0.0/0 or ::/0) through {@code gateway}. The interface is the one with an on-link
     * prefix containing the gateway; an IPv6 link-local gateway needs {@link #addDefaultGateway(IpAddress,
     * NetInterface)}.
     */
    public Route addDefaultGateway(IpAddress gateway) {
        NetInterface iface = onLinkInterface(gateway);
        if (iface == null) {
            throw new IllegalArgumentException("gateway " + gateway + " is on none of the connected prefixes "
                    + connectedPrefixes() + "; add the interface address first or name the interface");
        }
        return addDefaultGateway(gateway, iface);
    }

    /** Adds a default route through {@code gateway} on {@code iface}. */
    public Route addDefaultGateway(IpAddress gateway, NetInterface iface) {
        IpCidr any = gateway.isIpv4() ? new IpCidr(Ipv4Address.ANY, 0) : new IpCidr(Ipv6Address.UNSPECIFIED, 0);
        return add(new Route(any, gateway, iface, 0, 0, null, Route.Origin.STATIC));
    }

    /** Removes routes with this destination (and gateway, when not null). Returns how many were removed. */
    public int remove(IpCidr destination, IpAddress gateway) {
        IpCidr d = destination.canonical();
        int before = all.size();
        all.removeIf(r -> r.destination().equals(d) && (gateway == null || gateway.equals(r.gateway())));
        rebuild();
        return before - all.size();
    }

    /** Removes every route through {@code iface}. */
    public void removeInterface(NetInterface iface) {
        all.removeIf(r -> r.iface() == iface);
        rebuild();
    }

    /**
     * The best route to {@code dst}, or null when there is none (the caller reports "network unreachable").
     * Allocation-free.
     */
    public Route lookup(IpAddress dst) {
        return switch (dst) {
            case Ipv4Address a -> lookupV4(a.bits());
            case Ipv6Address a -> lookupV6(a.hi(), a.lo());
        };
    }

    /** Longest-prefix match on raw IPv4 bits. */
    public Route lookupV4(int bits) {
        for (Route r : v4) {
            if (r.destination().containsV4(bits)) {
                return r;
            }
        }
        return null;
    }

    /** Longest-prefix match on raw IPv6 bits. */
    public Route lookupV6(long hi, long lo) {
        for (Route r : v6) {
            if (r.destination().containsV6(hi, lo)) {
                return r;
            }
        }
        return null;
    }

    /** True when {@code addr} is inside a connected prefix (so it can be resolved directly on that link). */
    public NetInterface onLinkInterface(IpAddress addr) {
        for (Route r : all) {
            if (r.origin() == Route.Origin.CONNECTED && r.destination().contains(addr)) {
                return r.iface();
            }
        }
        return null;
    }

    /** A snapshot of every route, best first within each family. */
    public List<Route> routes() {
        List<Route> out = new ArrayList<>(List.of(v4));
        out.addAll(List.of(v6));
        return out;
    }

    private List<IpCidr> connectedPrefixes() {
        List<IpCidr> out = new ArrayList<>();
        for (Route r : all) {
            if (r.origin() == Route.Origin.CONNECTED) {
                out.add(r.destination());
            }
        }
        return out;
    }

    private void rebuild() {
        // A stable sort keeps insertion order among equal (prefix, metric) routes: deterministic tie-break.
        v4 = all.stream().filter(r -> r.destination().isIpv4()).sorted(ORDER).toArray(Route[]::new);
        v6 = all.stream().filter(r -> !r.destination().isIpv4()).sorted(ORDER).toArray(Route[]::new);
        for (int i = 0; i < listeners.size(); i++) {
            listeners.get(i).run();
        }
    }
}
