package dev.chimney.ip;

import dev.chimney.wire.IpAddress;

/**
 * One entry of the {@link RouteTable}. Immutable; lookups return the stored instance, so routing a packet
 * allocates nothing.
 *
 * @param destination     the destination prefix, host bits cleared
 * @param gateway         the next-hop router, or null when the destination is on-link
 * @param iface           the interface packets leave through
 * @param metric          lower wins between routes of equal prefix length
 * @param mtuBytes        a route MTU below the interface MTU, or 0 to use the interface MTU
 * @param preferredSource the source address to use, or null to choose one per destination from the interface
 * @param origin          why the route exists
 */
public record Route(IpCidr destination, IpAddress gateway, NetInterface iface, int metric, int mtuBytes,
        IpAddress preferredSource, Origin origin) {

    /** Where a route came from. */
    public enum Origin {
        /** On-link prefix of an interface address. */
        CONNECTED,
        /** Added by the user or configuration. */
        STATIC,
        /** Learned from an IPv6 router advertisement (RFC 4861 §6.3.4). */
        ROUTER_ADVERTISEMENT,
        /** A host route installed by an ICMP redirect (RFC 792; RFC 4861 §8.3). */
        REDIRECT
    }

    public Route {
        if (destination == null || iface == null || origin == null) {
            throw new IllegalArgumentException("a route needs a destination, an interface and an origin");
        }
        destination = destination.canonical();
        if (gateway != null && gateway.isIpv4() != destination.isIpv4()) {
            throw new IllegalArgumentException("gateway " + gateway + " is not of the family of " + destination);
        }
    }

    /** True when packets are delivered directly to the destination on the link. */
    public boolean isOnLink() {
        return gateway == null;
    }

    /** The address to resolve with ARP/NDP: the gateway, or the destination itself when on-link. */
    public IpAddress nextHop(IpAddress dst) {
        return gateway != null ? gateway : dst;
    }

    /** The source address for packets to {@code dst} through this route (null if the interface has none). */
    public IpAddress sourceFor(IpAddress dst) {
        if (preferredSource != null) {
            return preferredSource;
        }
        return dst.isIpv4() ? iface.ipv4SourceFor(gateway != null ? gateway : dst) : iface.ipv6SourceFor(dst);
    }

    /** The largest IP packet this route carries: the route MTU if set, else the interface MTU. */
    public int effectiveMtuBytes() {
        return mtuBytes > 0 ? Math.min(mtuBytes, iface.mtuBytes()) : iface.mtuBytes();
    }

    @Override
    public String toString() {
        return destination + (gateway != null ? " via " + gateway : " on-link") + " dev " + iface.name()
                + " metric " + metric + " (" + origin + ")";
    }
}
