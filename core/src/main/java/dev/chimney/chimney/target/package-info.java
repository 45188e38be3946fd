/**
 * Offload targets (spec §1.1 "OT").
 *
 * <ul>
 *   <li>{@link dev.chimney.chimney.target.SoftOffloadTarget}: the host's NIC in software, on its own event loop. It
 *       owns the link port, gives the host stack a port of its own ({@code hostPort()}, a cross-loop
 *       {@link dev.chimney.link.LoopBridge}), passes through every frame that belongs to no offloaded connection,
 *       and runs offloaded connections with the host's own TCP engine ({@link dev.chimney.tcp.TcpConnection},
 *       imported from and exported into block lists).</li>
 *   <li>{@link dev.chimney.chimney.target.FaultInjectingTarget}: an intermediate target wrapping any target to
 *       fail allocations, delay and reorder completions within the ordering rules, and fail operations into the
 *       hardware-failure sequence, for tests.</li>
 * </ul>
 * The conformance suite ({@code core/src/test/java/dev/chimney/chimney/conformance}) runs against both.
 */
package dev.chimney.chimney.target;
