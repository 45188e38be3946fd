/**
 * Links that carry Ethernet frames: the {@link dev.chimney.link.NetworkPort} abstraction, the TAP device, and the
 * in-memory network used by tests and simulations.
 *
 * <p>In-memory network: a {@link dev.chimney.link.VirtualWire} (point to point) or a
 * {@link dev.chimney.link.VirtualSwitch} (learning bridge) whose every direction is an
 * {@link dev.chimney.link.ImpairedChannel} applying seeded {@link dev.chimney.link.Impairments} (loss, delay,
 * jitter, reordering, duplication, corruption, rate limit with a tail-drop queue, path MTU). Ports are passive: the
 * loop that owns one polls it through a {@link dev.chimney.link.PortPollable}, whose next-work time is the port's
 * next arrival, so the simulator jumps straight to each delivery.
 *
 * <p>Threads: a wire or switch is driven by one thread (the simulator, or one loop that owns every port). Between
 * loops, a {@link dev.chimney.link.LoopBridge} joins two event loops that may run on different threads (a host
 * stack and an offload target, two hosts, a host and the loop of a wire or switch) with a lock-free ring per
 * direction; an end wakes the other end's loop only when that loop went idle, and offload metadata (TSO parameters,
 * receive checksum state, GSO size) crosses with the frames. {@code dev.chimney.host.VirtualNetwork} wires hosts up
 * either way.
 *
 * <p>Recording: {@link dev.chimney.link.PcapTap} wraps any port and writes what it sends and receives with a
 * {@link dev.chimney.link.PcapWriter} (nanosecond libpcap; deterministic under virtual time);
 * {@link dev.chimney.link.PcapReader} reads captures back in tests.
 */
package dev.chimney.link;
