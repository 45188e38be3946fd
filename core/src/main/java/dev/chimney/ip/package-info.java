/**
 * The framing and path layers of the host stack: Ethernet and 802.1Q, ARP and NDP with Neighbor Unreachability
 * Detection, IPv4 and IPv6 (extension headers, fragment reassembly), ICMPv4 and ICMPv6, routes and path MTU.
 *
 * <p>Entry point: {@link dev.chimney.ip.IpStack}, one per event loop, attached to one or more
 * {@link dev.chimney.link.NetworkPort}s. Transports register a {@link dev.chimney.ip.TransportHandler} per IP
 * protocol number and send through {@link dev.chimney.ip.IpStack#beginSend} / {@code Outbound.commit}.
 *
 * <p>The pieces are usable alone and are tested that way: {@link dev.chimney.ip.RouteTable} (longest-prefix
 * match), {@link dev.chimney.ip.NeighborCache} (RFC 4861 §7.3 state machine for both ARP and NDP),
 * {@link dev.chimney.ip.PathCache} (RFC 1191 / RFC 8201 PMTU with aging) and
 * {@link dev.chimney.ip.FragmentReassembler} (RFC 791 / RFC 8200 §4.5 with RFC 5722 overlap rules).
 *
 * <p>Chimney state objects: a {@link dev.chimney.ip.NeighborEntry} exposes the neighbor object's constant, cached
 * and delegated parts (spec §2.3) as {@link dev.chimney.ip.NeighborConst}, {@link dev.chimney.ip.NeighborCached}
 * and {@link dev.chimney.ip.NeighborDelegated}; a {@link dev.chimney.ip.PathEntry} is the path object (spec §2.4).
 *
 * <p>Everything here belongs to one event loop: no locks, time only from the loop's clock, randomness only from
 * a {@link dev.chimney.runtime.SeededRandom}. Malformed input is counted in {@link dev.chimney.ip.IpCounters} and
 * dropped; it never throws out of the loop.
 */
package dev.chimney.ip;
